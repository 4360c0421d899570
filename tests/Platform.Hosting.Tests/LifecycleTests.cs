using System.Diagnostics;
using Platform.Hosting.ApplicationModel;
using Platform.Hosting.Testing;

namespace Platform.Hosting.Tests;

public class LifecycleTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task KilledReplicaRestartsAndDisposeLeavesNoProcessOfTheApp()
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(Token);
        var app = await builder.BuildAsync(Token);
        HashSet<int> processes;
        string stateDirectory;
        await using (app)
        {
            await app.StartAsync(Token).WaitAsync(TimeSpan.FromMinutes(2), Token);
            stateDirectory = app.StateDirectory;

            await app.KillResourceAsync("redis-1", Token).WaitAsync(TimeSpan.FromSeconds(20), Token);
            var killed = app.ResourceNotifications.GetSnapshot("redis").Instances.Single(i => i.Name == "redis-1");
            Assert.Equal(ResourceState.Exited, killed.State);
            Assert.Equal(137, killed.ExitCode);

            await app.StartResourceAsync("redis-1", Token).WaitAsync(TimeSpan.FromSeconds(20), Token);
            await app.ResourceNotifications.WaitForResourceHealthyAsync("redis", Token).WaitAsync(TimeSpan.FromSeconds(30), Token);

            await app.RestartResourceAsync("postgres", Token).WaitAsync(TimeSpan.FromSeconds(30), Token);
            await app.ResourceNotifications.WaitForResourceHealthyAsync("postgres", Token).WaitAsync(TimeSpan.FromSeconds(30), Token);

            processes = ProcessTree.Of(app);
            Assert.True(processes.Count >= 7, $"expected redis, sentinels and postgres processes, found {processes.Count}");
        }

        Assert.Empty(processes.Where(ProcessTree.IsAlive).Select(pid => $"{pid} {ProcessTree.CommandLine(pid)}"));
        Assert.Empty(ProcessTree.Mentioning(stateDirectory));
        Assert.False(Directory.Exists(stateDirectory));
    }

    [Fact]
    public async Task ChangesMadeBeforeStartApply()
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(Token);
        builder.GetResource<RedisResource>("redis").WithMaxMemory("64mb");
        builder.AddProject<Projects.Hosting_TestApp>("probe")
            .WithReference(builder.GetResource<RedisResource>("redis"))
            .WithReference(builder.GetResource<PostgresDatabaseResource>("syncdb"))
            .WaitFor(builder.GetResource<RedisResource>("redis"))
            .WithHttpHealthCheck("/health");
        await using var app = await builder.BuildAsync(Token);
        await app.StartAsync(Token).WaitAsync(TimeSpan.FromMinutes(2), Token);

        using var http = app.CreateHttpClient("probe");
        var redisConnection = await http.GetStringAsync(new Uri("/env/ConnectionStrings__redis", UriKind.Relative), Token);
        Assert.Equal(await app.GetConnectionStringAsync("redis", Token), redisConnection);
        Assert.Equal(await app.GetConnectionStringAsync("syncdb", Token), await http.GetStringAsync(new Uri("/env/ConnectionStrings__syncdb", UriKind.Relative), Token));
        await using var master = await SentinelClient.ConnectToMasterAsync(redisConnection, Token);
        Assert.Equal("67108864", ((object?[])(await master.ExecuteAsync(Token, "CONFIG", "GET", "maxmemory"))!)[1]);
        var env = app.ResourceNotifications.GetSnapshot("probe").Environment;
        Assert.True(env.Single(e => e.Name == "ConnectionStrings__redis").IsSecret);
        Assert.False(env.Single(e => e.Name == "OTEL_SERVICE_NAME").IsSecret);
    }

    [Theory]
    [InlineData("KILL")]
    [InlineData("TERM")]
    [InlineData("INT")]
    public async Task AppHostStoppedBySignalLeavesNoProcessBehind(string signal)
    {
        var state = Path.Combine(Path.GetTempPath(), "platform-test-signal-" + Guid.NewGuid().ToString("N")[..8]);
        var psi = new ProcessStartInfo(Environment.ProcessPath!, Path.Combine(AppContext.BaseDirectory, "AppHost.dll"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.Environment["AppHost__StateDirectory"] = state;
        psi.Environment["DOTNET_ENVIRONMENT"] = "Development";
        using var appHost = Process.Start(psi)!;
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var summary = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        appHost.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            output.Enqueue(e.Data);
            if (e.Data.StartsWith("Resources (state folder", StringComparison.Ordinal))
            {
                summary.TrySetResult();
            }
        };
        appHost.BeginOutputReadLine();
        appHost.BeginErrorReadLine();
        try
        {
            await summary.Task.WaitAsync(TimeSpan.FromSeconds(90), Token);
            Assert.Contains(ProcessTree.Mentioning(state), c => c.Contains("redis-sentinel", StringComparison.Ordinal));

            using (var kill = Process.Start("kill", ["-" + signal, appHost.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync(Token);
            }

            await appHost.WaitForExitAsync(Token).WaitAsync(TimeSpan.FromSeconds(20), Token);
            if (signal != "KILL")
            {
                // Ctrl+C and SIGTERM: an ordered stop, then a clean exit.
                Assert.Equal(0, appHost.ExitCode);
                Assert.Contains(output, l => l.Contains("Every resource stopped", StringComparison.Ordinal));
                Assert.Empty(ProcessTree.Mentioning(state));
            }

            // SIGKILL: the watchdog sees the AppHost's pipe close and stops every child.
            var deadline = Stopwatch.StartNew();
            while (ProcessTree.Mentioning(state).Count > 0 && deadline.Elapsed < TimeSpan.FromSeconds(15))
            {
                await Task.Delay(100, Token);
            }

            Assert.Empty(ProcessTree.Mentioning(state));
        }
        finally
        {
            if (!appHost.HasExited)
            {
                appHost.Kill(entireProcessTree: true);
            }

            await Task.Delay(500, CancellationToken.None);
            if (Directory.Exists(state))
            {
                Directory.Delete(state, recursive: true);
            }
        }
    }
}
