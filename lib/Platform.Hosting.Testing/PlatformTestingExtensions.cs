using System.Diagnostics;
using System.Globalization;
using System.Text;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Xunit;

namespace Aspire.Hosting.Testing;

/// <summary>
/// What tests of the whole system need on top of <see cref="DistributedApplicationTestingBuilder"/>: isolation from a
/// running system, a fast dispose, resource output in the test's output, a start that says what is stuck, faults.
/// </summary>
public static class PlatformTestingExtensions
{
    private const string OtlpRetry = "OTEL_DOTNET_EXPERIMENTAL_OTLP_RETRY";

    /// <summary>
    /// Test defaults for the application: its own throw-away state folder (deleted on dispose), so tests never share
    /// data with each other or with <c>./platform run</c>; a stop that ends services before infrastructure and returns
    /// once every process has ended; no OTLP retry in the projects (with no collector listening,
    /// Aspire's <c>in_memory</c> retry makes each project hang on exit until DCP kills it); every resource's output
    /// into <paramref name="output"/> (by default the current test's).
    /// </summary>
    public static IDistributedApplicationTestingBuilder WithPlatformTestDefaults(this IDistributedApplicationTestingBuilder builder, ITestOutputHelper? output = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var state = Directory.CreateTempSubdirectory("platform-test-state-");
        // Traversable by the postgres user, which PostgreSQL runs as when tests run as root.
        if (OperatingSystem.IsLinux())
        {
            File.SetUnixFileMode(state.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherExecute | UnixFileMode.GroupExecute);
        }
        builder.Configuration[LocalState.DirectoryKey] = state.FullName;
        builder.Services.AddSingleton(new TemporaryFolder(state.FullName));

        // The ordered stop returns once every process has ended, as DCP reports it. DCP's own wait for its cleanup polls
        // each kind of resource once a second, which added a second to every dispose with nothing left to wait for.
        builder.AddOrderedStop();
        builder.Configuration["DcpPublisher:WaitForResourceCleanup"] = "false";

        foreach (var project in builder.Resources.OfType<ProjectResource>())
        {
            project.Annotations.Add(new EnvironmentCallbackAnnotation(context => context.EnvironmentVariables.Remove(OtlpRetry)));
        }

        ResourceLogCapture.Register(builder.Services);
        builder.Eventing.Subscribe<BeforeStartEvent>((@event, _) =>
        {
            @event.Services.GetRequiredService<ResourceLogCapture>().Output = output ?? TestContext.Current.TestOutputHelper;
            return Task.CompletedTask;
        });
        return builder;
    }

    /// <summary>
    /// Starts the application and waits until every resource runs and is healthy, and every replica of a replicated
    /// project answers on its own port. When <paramref name="timeout"/> passes
    /// first, or a resource fails or exits on the way, throws <see cref="DistributedApplicationStartException"/> naming
    /// each resource that is not healthy with its state, health checks and last lines of output.
    /// </summary>
    public static async Task StartAndWaitForHealthyAsync(this DistributedApplication app, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(app);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var notifications = app.Services.GetRequiredService<ResourceNotificationService>();
        var model = app.Services.GetRequiredService<DistributedApplicationModel>();
        var expected = model.Resources.Where(r => r is not ParameterResource && !r.TryGetAnnotationsOfType<ExplicitStartupAnnotation>(out _))
            .Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        var latest = new Dictionary<string, ResourceEvent>(StringComparer.Ordinal);
        string? failure = null;
        // StartAsync itself waits for resources that wait for others, so states are watched while it runs.
        var start = app.StartAsync(deadline.Token);
        try
        {
            await foreach (var change in notifications.WatchAsync(deadline.Token).ConfigureAwait(false))
            {
                if (change.Snapshot.IsHidden && expected.Remove(change.Resource.Name))
                {
                    continue;
                }

                latest[change.ResourceId] = change;
                if (change.Snapshot.State?.Text is "FailedToStart" or "Exited" or "Finished" && expected.Contains(change.Resource.Name))
                {
                    failure = $"'{change.ResourceId}' is {change.Snapshot.State.Text}"
                        + (change.Snapshot.ExitCode is { } code ? $" (exit code {code})" : string.Empty);
                    break;
                }

                if (expected.All(name => latest.Values.Any(e => e.Resource.Name == name) && latest.Values.Where(e => e.Resource.Name == name).All(IsReady)))
                {
                    await start.ConfigureAwait(false);
                    failure = await WaitForEveryReplicaAsync(app, deadline.Token).ConfigureAwait(false);
                    if (failure is null)
                    {
                        return;
                    }

                    break;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            failure = $"not healthy within {timeout.TotalSeconds:0} s";
        }

        var capture = app.Services.GetRequiredService<ResourceLogCapture>();
        var message = new StringBuilder($"The application did not start: {failure}.");
        foreach (var name in expected.Order(StringComparer.Ordinal))
        {
            var instances = latest.Values.Where(e => e.Resource.Name == name).ToList();
            if (instances.Count == 0)
            {
                message.Append(CultureInfo.InvariantCulture, $"\n- {name}: no state published");
                continue;
            }

            foreach (var instance in instances.Where(i => !IsReady(i)))
            {
                var snapshot = instance.Snapshot;
                message.Append(CultureInfo.InvariantCulture, $"\n- {instance.ResourceId}: {snapshot.State?.Text ?? "no state"}{(snapshot.ExitCode is { } exit ? $" (exit code {exit})" : "")}, health {snapshot.HealthStatus?.ToString() ?? "unknown"}");
                foreach (var report in snapshot.HealthReports.Where(r => r.Status != HealthStatus.Healthy))
                {
                    message.Append(CultureInfo.InvariantCulture, $"\n    check {report.Name}: {report.Status?.ToString() ?? "not run"} {report.Description} {report.ExceptionText?.Split('\n')[0]}");
                }

                foreach (var line in capture.LastLines(instance.ResourceId, 8))
                {
                    message.Append(CultureInfo.InvariantCulture, $"\n    | {line}");
                }
            }
        }

        throw new DistributedApplicationStartException(message.ToString());
    }

    /// <summary>Kills every process of <paramref name="resourceName"/> (each replica; SIGKILL, the process tree), as a crash would.</summary>
    public static async Task KillResourceAsync(this DistributedApplication app, string resourceName, CancellationToken cancellationToken = default)
    {
        var pids = await ProcessIdsAsync(app, resourceName, cancellationToken).ConfigureAwait(false);
        foreach (var pid in pids)
        {
            using var process = Process.GetProcessById(pid);
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Stops, starts or restarts a resource with the dashboard's own command.</summary>
    public static Task StopResourceAsync(this DistributedApplication app, string resourceName, CancellationToken cancellationToken = default) =>
        ExecuteAsync(app, resourceName, KnownResourceCommands.StopCommand, cancellationToken);

    /// <inheritdoc cref="StopResourceAsync"/>
    public static Task StartResourceAsync(this DistributedApplication app, string resourceName, CancellationToken cancellationToken = default) =>
        ExecuteAsync(app, resourceName, KnownResourceCommands.StartCommand, cancellationToken);

    /// <inheritdoc cref="StopResourceAsync"/>
    public static Task RestartResourceAsync(this DistributedApplication app, string resourceName, CancellationToken cancellationToken = default) =>
        ExecuteAsync(app, resourceName, KnownResourceCommands.RestartCommand, cancellationToken);

    /// <summary>Forces a Sentinel failover of <paramref name="redisResourceName"/> and returns once every Sentinel names the new master.</summary>
    public static Task ForceFailoverAsync(this DistributedApplication app, string redisResourceName, CancellationToken cancellationToken = default) =>
        ExecuteAsync(app, redisResourceName, RedisSentinelBuilderExtensions.FailoverCommand, cancellationToken);

    /// <summary>Waits until <paramref name="resourceName"/> is running and healthy again, or throws after <paramref name="timeout"/>.</summary>
    public static async Task WaitForHealthyAsync(this DistributedApplication app, string resourceName, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var notifications = app.Services.GetRequiredService<ResourceNotificationService>();
        try
        {
            await notifications.WaitForResourceAsync(resourceName, e => IsReady(e), cancellationToken).WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            notifications.TryGetCurrentState(resourceName, out var current);
            throw new TimeoutException($"'{resourceName}' was not healthy within {timeout.TotalSeconds:0} s: it is {current?.Snapshot.State?.Text ?? "unknown"}, health {current?.Snapshot.HealthStatus?.ToString() ?? "unknown"}.");
        }
    }

    /// <summary>The operating-system process ids of <paramref name="resourceName"/>'s running instances.</summary>
    public static Task<IReadOnlyList<int>> ProcessIdsAsync(this DistributedApplication app, string resourceName, CancellationToken cancellationToken = default)
    {
        _ = cancellationToken;
        var pids = app.Services.GetRequiredService<ResourceLogCapture>().Instances(resourceName)
            .Where(e => e.Snapshot.State?.Text == KnownResourceStates.Running)
            .SelectMany(e => e.Snapshot.Properties)
            .Where(p => p.Name == "executable.pid" && p.Value is not null)
            .Select(p => Convert.ToInt32(p.Value, CultureInfo.InvariantCulture))
            .ToList();
        return pids.Count > 0
            ? Task.FromResult<IReadOnlyList<int>>(pids)
            : throw new InvalidOperationException($"'{resourceName}' has no running process.");
    }

    // Aspire checks a replicated project through its endpoint's proxy, which reaches whichever replica answers: the
    // resource, and each of its instances, turns healthy with the first replica. So each replica is asked on its own
    // port as well, as a test that talks to a given replica needs.
    private static async Task<string?> WaitForEveryReplicaAsync(DistributedApplication app, CancellationToken cancellationToken)
    {
        var replicas = app.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<ProjectResource>()
            .Select(project => app.RunningInstances(project.Name)).Where(instances => instances.Count > 1)
            .SelectMany(instances => instances).Where(instance => instance.Url is not null);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        foreach (var replica in replicas)
        {
            var alive = new Uri(replica.Url!, "/alive");
            try
            {
                while (!await AnswersAsync(http, alive, cancellationToken).ConfigureAwait(false))
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return $"'{replica.Id}' is healthy by its resource's check but does not answer at {alive}";
            }
        }

        return null;
    }

    private static async Task<bool> AnswersAsync(HttpClient http, Uri url, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync(url, cancellationToken).ConfigureAwait(false);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private static bool IsReady(ResourceEvent e) =>
        e.Snapshot.State?.Text == KnownResourceStates.Running
        && (e.Snapshot.HealthStatus == HealthStatus.Healthy || (e.Snapshot.HealthStatus is null && e.Snapshot.HealthReports.IsEmpty));

    private static async Task ExecuteAsync(DistributedApplication app, string resourceName, string command, CancellationToken cancellationToken)
    {
        var commands = app.Services.GetRequiredService<ResourceCommandService>();
        var result = await commands.ExecuteCommandAsync(resourceName, command, cancellationToken).ConfigureAwait(false);
        if (!result.Success)
        {
            throw new InvalidOperationException($"'{command}' on '{resourceName}' failed: {result.Message}");
        }
    }

    private sealed class TemporaryFolder(string path) : IDisposable
    {
        public void Dispose()
        {
            try
            {
                Directory.Delete(path, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
