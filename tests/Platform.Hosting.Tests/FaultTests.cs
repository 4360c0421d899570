using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Platform.Hosting.Tests;

/// <summary>Crashes in run mode: processes come back by themselves, in the role they had.</summary>
[Collection(nameof(AppHostCollection))]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class FaultTests(AppHostFixture fixture)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private ResourceLogCapture Resources => fixture.App.Services.GetRequiredService<ResourceLogCapture>();

    [Fact]
    public async Task AKilledServiceIsStartedAgainAndTurnsHealthy()
    {
        await fixture.App.WaitForHealthyAsync("bets-api", TimeSpan.FromSeconds(60), Token);
        var before = await fixture.App.ProcessIdsAsync("bets-api", Token);

        await fixture.App.KillResourceAsync("bets-api", Token);

        await Wait.UntilAsync(() => RunningPids("bets-api").Any(pid => !before.Contains(pid)), TimeSpan.FromSeconds(60),
            () => $"bets-api was not started again; its state: {string.Join(", ", Resources.Instances("bets-api").Select(i => i.Snapshot.State?.Text))}");
        await fixture.App.WaitForHealthyAsync("bets-api", TimeSpan.FromSeconds(60), Token);
    }

    [Fact]
    public async Task AKilledRedisReplicaComesBackAsAReplicaOfTheSameMaster()
    {
        await fixture.App.WaitForHealthyAsync("redis", TimeSpan.FromSeconds(60), Token);
        string[] nodes = ["redis-0", "redis-1"];
        foreach (var node in nodes)
        {
            await fixture.App.WaitForHealthyAsync(node, TimeSpan.FromSeconds(60), Token);
        }

        var replica = nodes.Single(n => RoleOf(n).StartsWith("replica", StringComparison.Ordinal));
        var master = nodes.Single(n => n != replica);
        var before = await fixture.App.ProcessIdsAsync(replica, Token);

        await fixture.App.KillResourceAsync(replica, Token);

        await Wait.UntilAsync(() => RunningPids(replica).Any(pid => !before.Contains(pid)), TimeSpan.FromSeconds(60),
            () => $"{replica} was not started again");
        await fixture.App.WaitForHealthyAsync(replica, TimeSpan.FromSeconds(60), Token);
        Assert.StartsWith("replica of", RoleOf(replica), StringComparison.Ordinal);
        Assert.Equal("master", RoleOf(master));
    }

    [Fact]
    public async Task RedisConfigurationFilesStayOwnerOnlyAfterRedisRewritesThem()
    {
        var connectionString = await fixture.App.GetConnectionStringAsync("redis", Token);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(connectionString + ",allowAdmin=true");
        foreach (var server in redis.GetServers().Where(s => s.IsConnected && s.ServerType != ServerType.Sentinel))
        {
            await server.ConfigRewriteAsync();
        }

        var state = fixture.App.Services.GetRequiredService<IConfiguration>()[LocalState.DirectoryKey]!;
        var files = Directory.GetFiles(Path.Combine(state, "redis", "redis", "conf"), "*.conf");
        Assert.Equal(5, files.Length);
        foreach (var file in files)
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            Assert.Contains("requirepass", await File.ReadAllTextAsync(file, Token), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AMasterWithoutAConnectedReplicaRefusesWritesUntilTheReplicaIsBack()
    {
        var connectionString = await fixture.App.GetConnectionStringAsync("redis", Token);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(connectionString!);
        var db = redis.GetDatabase();
        await fixture.App.WaitForHealthyAsync("redis-0", TimeSpan.FromSeconds(60), Token);
        await fixture.App.WaitForHealthyAsync("redis-1", TimeSpan.FromSeconds(60), Token);
        var replica = new[] { "redis-0", "redis-1" }.Single(n => RoleOf(n).StartsWith("replica", StringComparison.Ordinal));

        // Stopped on purpose (the dashboard's stop): not a crash, so nothing starts it again.
        await fixture.App.StopResourceAsync(replica, Token);
        try
        {
            // The client may first see its own connections reset by the stop; the master's answer is what counts.
            string? refusal = null;
            await Wait.UntilAsync(() => (refusal = WriteRefusal(db)) is not null, TimeSpan.FromSeconds(30), () => "the master kept taking writes");
            Assert.StartsWith("NOREPLICAS", refusal, StringComparison.Ordinal);
        }
        finally
        {
            await fixture.App.StartResourceAsync(replica, Token);
        }

        await fixture.App.WaitForHealthyAsync(replica, TimeSpan.FromSeconds(60), Token);
        await Wait.UntilAsync(() => TryWrite(db), TimeSpan.FromSeconds(30), () => "writes were still refused with the replica back");
    }

    // The server's refusal of a write, or null when it took the write or the connection failed on the way.
    private static string? WriteRefusal(IDatabase db)
    {
        try
        {
            db.StringSet("hosting-test:cut-off", "lost?");
            return null;
        }
        catch (RedisServerException ex)
        {
            return ex.Message;
        }
        catch (RedisConnectionException)
        {
            return null;
        }
    }

    private static bool TryWrite(IDatabase db)
    {
        try
        {
            return db.StringSet("hosting-test:cut-off", "kept");
        }
        catch (RedisException)
        {
            return false;
        }
    }

    private List<int> RunningPids(string resource) =>
        [.. Resources.Instances(resource)
            .Where(i => i.Snapshot.State?.Text == KnownResourceStates.Running)
            .SelectMany(i => i.Snapshot.Properties.Where(p => p.Name == "executable.pid" && p.Value is not null))
            .Select(p => Convert.ToInt32(p.Value, System.Globalization.CultureInfo.InvariantCulture))];

    // The node's health check says what it is: "master" or "replica of <ip>:<port>".
    private string RoleOf(string node) =>
        Resources.Instances(node).Single().Snapshot.HealthReports.Single().Description ?? string.Empty;
}
