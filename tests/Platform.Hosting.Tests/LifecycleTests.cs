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
}
