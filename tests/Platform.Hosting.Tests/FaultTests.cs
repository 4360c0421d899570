using System.Net;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Platform.TestSupport;
using StackExchange.Redis;

namespace Platform.Hosting.Tests;

/// <summary>Crashes in run mode: processes come back by themselves, in the role they had.</summary>
[Collection(nameof(FaultCollection))]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class FaultTests(FaultAppHostFixture fixture) : IAsyncLifetime
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private ResourceLogCapture Resources => fixture.App.Services.GetRequiredService<ResourceLogCapture>();

    // Every test starts from a settled system: whatever the previous fault was, Redis has its master, a replica
    // that has caught up with it and three Sentinels that agree, and every service is healthy.
    public async ValueTask InitializeAsync()
    {
        foreach (var name in (string[])["redis-0", "redis-1", "redis-sentinel-0", "redis-sentinel-1", "redis-sentinel-2", "redis",
            "postgres", "prices-ingest", "bets-api", "sync-api", "web"])
        {
            await fixture.App.WaitForHealthyAsync(name, TimeSpan.FromSeconds(90), Token);
        }

        await Eventually.UntilAsync(async () => await TopologyAsync() is not null, "the nodes to settle as one master and its replica", Token, TimeSpan.FromSeconds(60));
        var connectionString = await fixture.App.GetConnectionStringAsync("redis", Token);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(connectionString!);
        var db = redis.GetDatabase();
        await Eventually.UntilAsync(async () => await ReplicasAcknowledgingAsync(db) == 1, "the replica to catch up with the master", Token, TimeSpan.FromSeconds(60));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task AKilledServiceIsStartedAgainAndTurnsHealthy()
    {
        await fixture.App.WaitForHealthyAsync("bets-api", TimeSpan.FromSeconds(60), Token);
        var before = await fixture.App.ProcessIdsAsync("bets-api", Token);

        await fixture.App.KillResourceAsync("bets-api", Token);

        await Eventually.UntilAsync(() => RunningPids("bets-api").Any(pid => !before.Contains(pid)), "bets-api to be started again", Token, TimeSpan.FromSeconds(60),
            () => $"its state: {string.Join(", ", Resources.Instances("bets-api").Select(i => i.Snapshot.State?.Text))}");
        await fixture.App.WaitForHealthyAsync("bets-api", TimeSpan.FromSeconds(60), Token);
    }

    [Fact]
    public async Task AKilledRedisReplicaComesBackAsAReplicaOfTheSameMaster()
    {
        var (master, replica) = (await TopologyAsync())!.Value;
        var before = await fixture.App.ProcessIdsAsync(replica, Token);

        await fixture.App.KillResourceAsync(replica, Token);

        await Eventually.UntilAsync(() => RunningPids(replica).Any(pid => !before.Contains(pid)), $"{replica} to be started again", Token, TimeSpan.FromSeconds(60));
        await fixture.App.WaitForHealthyAsync(replica, TimeSpan.FromSeconds(60), Token);
        Assert.Equal((master, replica), await TopologyAsync());
    }

    [Fact]
    public async Task AKilledRedisMasterComesBackAsAReplicaOfThePromotedNodeAndNoAcknowledgedWriteIsLost()
    {
        var (master, replica) = (await TopologyAsync())!.Value;
        var connectionString = await fixture.App.GetConnectionStringAsync("redis", Token);
        var acknowledged = new List<string>();
        await using (var redis = await ConnectionMultiplexer.ConnectAsync(connectionString!))
        {
            // Acknowledged: on the master and confirmed by its replica (WAIT 1), the last of them just before the kill.
            var db = redis.GetDatabase();
            for (var i = 0; i < 100; i++)
            {
                var key = $"hosting-test:master-kill:{i}";
                await db.StringSetAsync(key, i);
                Assert.Equal(1, await ReplicasAcknowledgingAsync(db));
                acknowledged.Add(key);
            }
        }

        var before = await fixture.App.ProcessIdsAsync(master, Token);
        await fixture.App.KillResourceAsync(master, Token);

        await Eventually.UntilAsync(() => RunningPids(master).Any(pid => !before.Contains(pid)), $"{master} to be started again", Token, TimeSpan.FromSeconds(60));
        await fixture.App.WaitForHealthyAsync(master, TimeSpan.FromSeconds(60), Token);
        // The Sentinels promoted the replica, and the killed master took its copy: roles swapped, nothing lost.
        await Eventually.UntilAsync(async () => await TopologyAsync() == (replica, master), $"{master} to come back as a replica of {replica}", Token);
        await using var after = await ConnectionMultiplexer.ConnectAsync(connectionString!);
        foreach (var key in acknowledged)
        {
            Assert.True(await after.GetDatabase().KeyExistsAsync(key), $"{key} was acknowledged before the kill and is gone");
        }
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
    public async Task AfterAForcedFailoverTheConnectionStringReachesTheNewMasterAndNoAcknowledgedWriteIsLost()
    {
        var connectionString = await fixture.App.GetConnectionStringAsync("redis", Token);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(connectionString!);
        var db = redis.GetDatabase();
        var before = await MasterAsync(redis);
        Assert.NotNull(before);

        // Acknowledged: written on the master and confirmed by the replica (WAIT 1) before the failover.
        var acknowledged = new List<string>();
        for (var i = 0; i < 100; i++)
        {
            var key = $"hosting-test:failover:{i}";
            await db.StringSetAsync(key, i);
            Assert.Equal(1, await ReplicasAcknowledgingAsync(db));
            acknowledged.Add(key);
        }

        await fixture.App.ForceFailoverAsync("redis", Token);

        await Eventually.UntilAsync(async () => await WrittenOnANewMasterAsync(redis, before), "the client to follow the Sentinels to the new master", Token, TimeSpan.FromSeconds(60));

        Assert.Equal("written", await db.StringGetAsync("hosting-test:after-failover"));
        foreach (var key in acknowledged)
        {
            Assert.True(await db.KeyExistsAsync(key), $"{key} was acknowledged before the failover and is gone");
        }
    }

    [Fact]
    public async Task AMasterWithoutAConnectedReplicaRefusesWritesUntilTheReplicaIsBack()
    {
        var connectionString = await fixture.App.GetConnectionStringAsync("redis", Token);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(connectionString!);
        var db = redis.GetDatabase();
        var (_, replica) = (await TopologyAsync())!.Value;

        // Stopped on purpose (the dashboard's stop): not a crash, so nothing starts it again.
        await fixture.App.StopResourceAsync(replica, Token);
        try
        {
            // The client may first see its own connections reset by the stop; the master's answer is what counts.
            string? refusal = null;
            await Eventually.UntilAsync(() => (refusal = WriteRefusal(db)) is not null, "the master to refuse writes", Token, TimeSpan.FromSeconds(30));
            Assert.StartsWith("NOREPLICAS", refusal, StringComparison.Ordinal);
        }
        finally
        {
            await fixture.App.StartResourceAsync(replica, Token);
        }

        await fixture.App.WaitForHealthyAsync(replica, TimeSpan.FromSeconds(60), Token);
        await Eventually.UntilAsync(() => TryWrite(db), "writes to be taken again with the replica back", Token, TimeSpan.FromSeconds(30));
    }

    // How many replicas confirm every write so far (WAIT), or -1 while the master cannot be reached.
    private static async Task<long> ReplicasAcknowledgingAsync(IDatabase db)
    {
        try
        {
            return (long)await db.ExecuteAsync("WAIT", 1, 5000);
        }
        catch (RedisException)
        {
            return -1;
        }
    }

    private static async Task<bool> WrittenOnANewMasterAsync(IConnectionMultiplexer redis, EndPoint previous)
    {
        try
        {
            await redis.GetDatabase().StringSetAsync("hosting-test:after-failover", "written");
            var master = await MasterAsync(redis);
            return master is not null && !master.Equals(previous);
        }
        catch (RedisException)
        {
            return false;
        }
    }

    // The node the client writes to now: the multiplexer also holds its Sentinels and the replica.
    private static async Task<EndPoint?> MasterAsync(IConnectionMultiplexer redis)
    {
        foreach (var server in redis.GetServers().Where(s => s.IsConnected && s.ServerType != ServerType.Sentinel))
        {
            if (await server.RoleAsync() is Role.Master)
            {
                return server.EndPoint;
            }
        }

        return null;
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

    // Which node is the master and which its replica, asked of the nodes themselves (the health reports can be a
    // check behind a failover); null while they are anything else, such as one of them down or both masters.
    private async Task<(string Master, string Replica)?> TopologyAsync()
    {
        var ports = new Dictionary<string, int>();
        var roles = new Dictionary<string, Role?>();
        foreach (var node in (string[])["redis-0", "redis-1"])
        {
            var endpoint = fixture.App.GetEndpoint(node, "tcp");
            ports[node] = endpoint.Port;
            roles[node] = await RoleAsync(endpoint);
        }

        foreach (var (master, replica) in (ValueTuple<string, string>[])[("redis-0", "redis-1"), ("redis-1", "redis-0")])
        {
            if (roles[master] is Role.Master && roles[replica] is Role.Replica r && r.MasterPort == ports[master])
            {
                return (master, replica);
            }
        }

        return null;
    }

    private async Task<Role?> RoleAsync(Uri node)
    {
        var password = (await fixture.App.GetConnectionStringAsync("redis", Token))!.Split(',').Single(p => p.StartsWith("password=", StringComparison.Ordinal));
        try
        {
            await using var redis = await ConnectionMultiplexer.ConnectAsync($"{node.Host}:{node.Port},{password},connectTimeout=2000");
            return await redis.GetServers().Single().RoleAsync();
        }
        catch (RedisException)
        {
            return null;
        }
    }
}
