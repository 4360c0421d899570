using Aspire.Hosting.Testing;
using Platform.TestSupport;
using StackExchange.Redis;

namespace Platform.Hosting.Tests;

/// <summary>A Sentinel topology of one node: nothing to promote, so a killed node must still come back as the master.</summary>
public class SingleRedisNodeTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AKilledNodeWithoutAReplicaComesBackAsTheMasterWithItsData()
    {
#pragma warning disable CA1849 // Create builds an empty model; the CreateAsync overloads run an AppHost's Program.
        var builder = DistributedApplicationTestingBuilder.Create();
#pragma warning restore CA1849
        builder.WithPlatformTestDefaults();
        builder.AddRedisSentinel("cache", replicas: 0, sentinels: 1);
        await using var app = await builder.BuildAsync(Token);
        await app.StartAndWaitForHealthyAsync(TimeSpan.FromMinutes(2), Token);
        var connectionString = await app.GetConnectionStringAsync("cache", Token);
        await using (var redis = await ConnectionMultiplexer.ConnectAsync(connectionString!))
        {
            await redis.GetDatabase().StringSetAsync("hosting-test:single", "kept");
        }

        var before = await app.ProcessIdsAsync("cache-0", Token);
        await app.KillResourceAsync("cache-0", Token);

        await Eventually.UntilAsync(async () => (await RunningPidsAsync(app)).Any(pid => !before.Contains(pid)), "cache-0 to be started again", Token, TimeSpan.FromSeconds(60));
        await app.WaitForHealthyAsync("cache-0", TimeSpan.FromSeconds(60), Token);
        // Through the Sentinel as clients go: the node it names, which is the master again, with what it held.
        (RedisValue Value, Role? Role) seen = default;
        await Eventually.UntilAsync(async () => (seen = await ReadAsync(connectionString!)).Role is not null, "the node to answer through the Sentinel", Token);
        Assert.Equal("kept", seen.Value);
        Assert.IsType<Role.Master>(seen.Role);
    }

    private static async Task<(RedisValue Value, Role? Role)> ReadAsync(string connectionString)
    {
        try
        {
            await using var redis = await ConnectionMultiplexer.ConnectAsync(connectionString);
            var node = redis.GetServers().Single(s => s.ServerType != ServerType.Sentinel);
            return (await redis.GetDatabase().StringGetAsync("hosting-test:single"), await node.RoleAsync());
        }
        catch (RedisException)
        {
            return default;
        }
    }

    private static async Task<IReadOnlyList<int>> RunningPidsAsync(DistributedApplication app)
    {
        try
        {
            return await app.ProcessIdsAsync("cache-0", Token);
        }
        catch (InvalidOperationException)
        {
            // Not running yet.
            return [];
        }
    }
}
