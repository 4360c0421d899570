using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Platform.Hosting.ApplicationModel;
using Platform.Hosting.Orchestration;
using Platform.Hosting.Testing;

namespace Platform.Hosting.Tests;

/// <summary>
/// A model of sample services, started once: a replicated web app, an app wired to it, a service that crashes at start
/// and its dependent, a migration that must complete, a missing binary, a port in use and a parameter without a value.
/// </summary>
public sealed class SampleModelFixture : IAsyncLifetime
{
    private readonly TcpListener _squatter = new(IPAddress.Loopback, 0);

    public DistributedApplication App { get; private set; } = null!;

    public DistributedApplicationStartException? StartFailure { get; private set; }

    public int SquattedPort { get; private set; }

    /// <summary>Every snapshot published since before the start, in order.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<ResourceSnapshot> History { get; } = new();

    private readonly CancellationTokenSource _watch = new();

    public async ValueTask InitializeAsync()
    {
        _squatter.Start();
        SquattedPort = ((IPEndPoint)_squatter.LocalEndpoint).Port;
#pragma warning disable CA1849 // Create builds an empty model; CreateAsync runs an AppHost's Program instead
        var builder = DistributedApplicationTestingBuilder.Create([], (options, _) =>
        {
            // Fixed ports stay fixed here so the port-in-use case is real; nothing else asks for one.
            options.RandomizePorts = false;
            options.WaitForResourcesOnStart = TimeSpan.FromSeconds(60);
        });
#pragma warning restore CA1849

        var web = builder.AddProject<Projects.Hosting_TestApp>("web").WithReplicas(2).WithHttpHealthCheck("/health");
        var secret = builder.AddParameter("api-secret", secret: true);
        builder.AddProject<Projects.Hosting_TestApp>("api")
            .WithReference(web).WaitFor(web)
            .WithEnvironment("Greeting", "hello")
            .WithEnvironment("ApiSecret", secret)
            .WithHttpHealthCheck("/health");

        var crasher = builder.AddProject<Projects.Hosting_CrashingApp>("crasher").WithHttpHealthCheck("/health");
        builder.AddProject<Projects.Hosting_TestApp>("crasher-client").WaitFor(crasher);

        var migrator = builder.AddProject<Projects.Hosting_CrashingApp>("migrator").WithArgs("0");
        builder.AddProject<Projects.Hosting_TestApp>("after-migration").WaitForCompletion(migrator).WithHttpHealthCheck("/health");

        builder.AddExecutable("ghost", "platform-no-such-binary", ".");
        builder.AddProject<Projects.Hosting_TestApp>("squatted").WithHttpEndpoint(port: SquattedPort);

        var missing = builder.AddParameter("missing-key");
        builder.AddProject<Projects.Hosting_TestApp>("needs-key").WithEnvironment("Key", missing);

        App = await builder.BuildAsync(TestContext.Current.CancellationToken);
        // The first MoveNextAsync subscribes synchronously, so no snapshot published by the start is missed.
        var watcher = App.ResourceNotifications.WatchAsync(_watch.Token).GetAsyncEnumerator(_watch.Token);
        var next = watcher.MoveNextAsync();
        _ = Task.Run(async () =>
        {
            try
            {
                while (await next)
                {
                    History.Enqueue(watcher.Current);
                    next = watcher.MoveNextAsync();
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
        try
        {
            await App.StartAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken);
        }
        catch (DistributedApplicationStartException ex)
        {
            StartFailure = ex;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _watch.CancelAsync();
        _watch.Dispose();
        await App.DisposeAsync();
        _squatter.Dispose();
    }
}

[CollectionDefinition(nameof(SampleModelCollection))]
public sealed class SampleModelCollection : ICollectionFixture<SampleModelFixture>;

[Collection(nameof(SampleModelCollection))]
public class SampleModelTests(SampleModelFixture fixture)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ReplicasAreReachableThroughTheStableEndpoint()
    {
        var web = fixture.App.ResourceNotifications.GetSnapshot("web");
        Assert.True(web.IsHealthy, web.ToString());
        Assert.Equal(2, web.Instances.Count);
        Assert.All(web.Instances, i => Assert.NotEqual(fixture.App.GetEndpoint("web").Port, new Uri(i.Urls.Single().Url).Port));

        using var http = fixture.App.CreateHttpClient("web");
        // A new connection per request: the proxy balances connections, not requests.
        http.DefaultRequestHeaders.ConnectionClose = true;
        var served = new HashSet<string>();
        for (var i = 0; i < 10; i++)
        {
            served.Add(await http.GetStringAsync(new Uri("/", UriKind.Relative), Token).WaitAsync(TimeSpan.FromSeconds(10), Token));
        }

        Assert.Equal(["service.instance.id=web-0", "service.instance.id=web-1"], served.Order());
    }

    [Fact]
    public async Task StableEndpointKeepsServingWhenOneReplicaStops()
    {
        await fixture.App.StopResourceAsync("web-1", Token).WaitAsync(TimeSpan.FromSeconds(20), Token);
        try
        {
            using var http = fixture.App.CreateHttpClient("web");
            for (var i = 0; i < 4; i++)
            {
                Assert.Equal("service.instance.id=web-0", await http.GetStringAsync(new Uri("/", UriKind.Relative), Token).WaitAsync(TimeSpan.FromSeconds(10), Token));
            }
        }
        finally
        {
            await fixture.App.StartResourceAsync("web-1", Token).WaitAsync(TimeSpan.FromSeconds(20), Token);
            await fixture.App.ResourceNotifications.WaitForResourceHealthyAsync("web", Token).WaitAsync(TimeSpan.FromSeconds(30), Token);
        }
    }

    [Fact]
    public async Task ProjectsGetServiceDiscoveryTelemetryAndModelVariables()
    {
        using var http = fixture.App.CreateHttpClient("api");
        async Task<string> Env(string name) => await http.GetStringAsync(new Uri($"/env/{name}", UriKind.Relative), Token).WaitAsync(TimeSpan.FromSeconds(10), Token);

        Assert.Equal(fixture.App.GetEndpoint("web").ToString().TrimEnd('/'), await Env("services__web__http__0"));
        Assert.Equal("api", await Env("OTEL_SERVICE_NAME"));
        Assert.Equal("service.instance.id=api", await Env("OTEL_RESOURCE_ATTRIBUTES"));
        Assert.Equal("hello", await Env("Greeting"));
        Assert.Equal("Development", await Env("ASPNETCORE_ENVIRONMENT"));
        Assert.StartsWith("http://127.0.0.1:", await Env("ASPNETCORE_URLS"), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri("/env/OTEL_EXPORTER_OTLP_ENDPOINT", UriKind.Relative), Token)).StatusCode);

        var env = fixture.App.ResourceNotifications.GetSnapshot("api").Environment;
        Assert.True(env.Single(e => e.Name == "ApiSecret").IsSecret);
        Assert.False(env.Single(e => e.Name == "Greeting").IsSecret);
    }

    [Fact]
    public async Task ProjectExitingAtStartMakesItsDependentFailToStartNamingIt()
    {
        var crasher = await fixture.App.ResourceNotifications.WaitForResourceAsync("crasher", s => s.State == ResourceState.Exited, Token).WaitAsync(TimeSpan.FromSeconds(30), Token);
        Assert.Equal(3, crasher.ExitCode);

        var client = await fixture.App.ResourceNotifications.WaitForResourceAsync("crasher-client", s => s.State.IsTerminal(), Token).WaitAsync(TimeSpan.FromSeconds(30), Token);
        Assert.Equal(ResourceState.FailedToStart, client.State);
        Assert.Equal("Dependency 'crasher' exited with code 3 before it was healthy.", client.Message);
        Assert.Null(client.StartedAt);
        var ex = await Assert.ThrowsAsync<Platform.Hosting.DistributedApplicationException>(() => fixture.App.ResourceNotifications.WaitForResourceHealthyAsync("crasher-client", Token));
        Assert.Contains("crasher", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WaitForCompletionStartsTheDependentAfterASuccessfulRun()
    {
        var migrator = await fixture.App.ResourceNotifications.WaitForResourceAsync("migrator", ResourceState.Finished, Token).WaitAsync(TimeSpan.FromSeconds(30), Token);
        Assert.Equal(0, migrator.ExitCode);
        await fixture.App.ResourceNotifications.WaitForResourceHealthyAsync("after-migration", Token).WaitAsync(TimeSpan.FromSeconds(30), Token);
        Assert.Contains(fixture.App.GetResourceLogs("migrator"), l => l.Text == "migrations applied");
    }

    [Fact]
    public void MissingBinaryIsAClearErrorNamingThePackage()
    {
        var ghost = fixture.App.ResourceNotifications.GetSnapshot("ghost");
        Assert.Equal(ResourceState.FailedToStart, ghost.State);
        Assert.Contains("'platform-no-such-binary' was not found", ghost.Message, StringComparison.Ordinal);
        Assert.Contains("apt-get install", ghost.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PortInUseIsAClearError()
    {
        var squatted = fixture.App.ResourceNotifications.GetSnapshot("squatted");
        Assert.Equal(ResourceState.FailedToStart, squatted.State);
        Assert.Contains($"Port {fixture.SquattedPort} (endpoint 'http' of 'squatted') is already in use", squatted.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParameterWithoutValueFailsItsDependentsNamingIt()
    {
        var parameter = fixture.App.ResourceNotifications.GetSnapshot("missing-key");
        Assert.Equal(ResourceState.FailedToStart, parameter.State);
        Assert.Contains("Parameters:missing-key", parameter.Message, StringComparison.Ordinal);
        var dependent = fixture.App.ResourceNotifications.GetSnapshot("needs-key");
        Assert.Equal(ResourceState.FailedToStart, dependent.State);
        Assert.StartsWith("Dependency 'missing-key' failed to start", dependent.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StartTimeoutReportNamesEveryUnhealthyResourceWithStateAndLastLogLines()
    {
        var failure = Assert.IsType<DistributedApplicationStartException>(fixture.StartFailure);
        Assert.Equal(["crasher", "crasher-client", "ghost", "missing-key", "needs-key", "squatted"], failure.Resources.Select(r => r.Name).Order());
        Assert.Contains("- crasher: Exited (exit code 3)", failure.Message, StringComparison.Ordinal);
        Assert.Contains("the configuration value 'Crash:Reason' says this service cannot start", failure.Message, StringComparison.Ordinal);
        Assert.Contains("- crasher-client: FailedToStart: Dependency 'crasher' exited with code 3", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("- web:", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ConsoleSummaryShowsStatesUrlsAndTheLastLinesOfFailingResources()
    {
        var summary = fixture.App.Services.GetRequiredService<Orchestrator>().Summary();

        Assert.Contains($"{fixture.App.GetEndpoint("web").ToString().TrimEnd('/')}", summary, StringComparison.Ordinal);
        Assert.Contains("web-1", summary, StringComparison.Ordinal);
        Assert.Contains("crasher is Exited (exit code 3)", summary, StringComparison.Ordinal);
        Assert.Contains("| [crasher] Unhandled exception: the configuration value 'Crash:Reason'", summary, StringComparison.Ordinal);
        Assert.Contains("ghost is FailedToStart: 'platform-no-such-binary' was not found", summary, StringComparison.Ordinal);
    }

    [Fact]
    public void StatesFollowAspiresTransitions()
    {
        List<(ResourceState, HealthStatus?)> Transitions(string name) =>
            [.. fixture.History.Where(s => s.Name == name).Select(s => (s.State, s.HealthStatus)).Distinct()];

        Assert.Equal(
            [(ResourceState.NotStarted, null), (ResourceState.Waiting, null), (ResourceState.Starting, null),
             (ResourceState.Running, HealthStatus.Unhealthy), (ResourceState.Running, HealthStatus.Healthy)],
            Transitions("after-migration"));
        Assert.Equal([(ResourceState.NotStarted, null), (ResourceState.Waiting, null), (ResourceState.FailedToStart, null)], Transitions("crasher-client"));
        Assert.Equal([ResourceState.NotStarted, ResourceState.Starting, ResourceState.Running, ResourceState.Finished],
            Transitions("migrator").Select(t => t.Item1).Distinct());
        Assert.Equal([(ResourceState.NotStarted, null), (ResourceState.Starting, null), (ResourceState.FailedToStart, null)], Transitions("ghost"));
    }
}
