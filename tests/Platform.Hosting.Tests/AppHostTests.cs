using System.Net;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using StackExchange.Redis;

namespace Platform.Hosting.Tests;

[Collection(nameof(AppHostCollection))]
public class AppHostTests(AppHostFixture fixture)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EveryResourceOfTheAppHostRunsAndIsHealthy()
    {
        // Another test of this collection forces a failover; the Sentinels take a moment to agree again.
        var model = fixture.App.Services.GetRequiredService<DistributedApplicationModel>();
        string[] expected = ["redis", "redis-0", "redis-1", "redis-sentinel-0", "redis-sentinel-1", "redis-sentinel-2",
            "postgres", "postgres-process", "syncdb", "prices-ingest", "bets-api", "sync-api", "web"];
        Assert.Subset(model.Resources.Select(r => r.Name).ToHashSet(), expected.ToHashSet());
        foreach (var name in expected)
        {
            await fixture.App.WaitForHealthyAsync(name, TimeSpan.FromSeconds(60), Token);
        }
    }

    [Fact]
    public async Task RedisConnectionStringReachesTheMasterThroughTheSentinels()
    {
        var connectionString = await fixture.App.GetConnectionStringAsync("redis", Token);
        Assert.Contains("serviceName=mymaster", connectionString, StringComparison.Ordinal);
        Assert.Equal(3, connectionString!.Split(',').Count(part => part.Contains(':', StringComparison.Ordinal)));

        await using var redis = await ConnectionMultiplexer.ConnectAsync(connectionString);
        var db = redis.GetDatabase();
        await db.StringSetAsync("hosting-test:hello", "world");
        Assert.Equal("world", await db.StringGetAsync("hosting-test:hello"));
        Assert.NotNull(await MasterAsync(redis));
    }

    [Fact]
    public async Task RedisRefusesAClientWithoutThePassword()
    {
        var connectionString = await fixture.App.GetConnectionStringAsync("redis", Token);
        var withoutPassword = string.Join(',', connectionString!.Split(',').Where(p => !p.StartsWith("password=", StringComparison.Ordinal)));
        var ex = await Assert.ThrowsAnyAsync<RedisException>(async () =>
        {
            await using var redis = await ConnectionMultiplexer.ConnectAsync(withoutPassword + ",abortConnect=true,connectTimeout=3000");
        });
        Assert.Contains("auth", ex.Message, StringComparison.OrdinalIgnoreCase);
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
            var replicas = (long)await db.ExecuteAsync("WAIT", 1, 5000);
            Assert.Equal(1, replicas);
            acknowledged.Add(key);
        }

        await fixture.App.ForceFailoverAsync("redis", Token);

        var deadline = DateTime.UtcNow.AddSeconds(60);
        EndPoint? after = null;
        while (after is null || after.Equals(before))
        {
            Assert.True(DateTime.UtcNow < deadline, "the client did not follow the Sentinels to the new master");
            try
            {
                await db.StringSetAsync("hosting-test:after-failover", "written");
                after = await MasterAsync(redis);
            }
            catch (RedisException)
            {
            }

            await Task.Delay(100, Token);
        }

        Assert.Equal("written", await db.StringGetAsync("hosting-test:after-failover"));
        foreach (var key in acknowledged)
        {
            Assert.True(await db.KeyExistsAsync(key), $"{key} was acknowledged before the failover and is gone");
        }
    }

    [Fact]
    public async Task PostgresSyncDbOpensWithItsConnectionString()
    {
        var connectionString = await fixture.App.GetConnectionStringAsync("syncdb", Token);
        await using var connection = new NpgsqlConnection(connectionString + ";Pooling=false");
        await connection.OpenAsync(Token);
        await using var command = new NpgsqlCommand("select current_database()", connection);
        Assert.Equal("syncdb", await command.ExecuteScalarAsync(Token));
    }

    [Fact]
    public async Task PostgresRefusesAWrongPassword()
    {
        var connectionString = new NpgsqlConnectionStringBuilder(await fixture.App.GetConnectionStringAsync("syncdb", Token)) { Password = "wrong", Pooling = false };
        await using var connection = new NpgsqlConnection(connectionString.ConnectionString);
        var ex = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync(Token));
        Assert.Equal("28P01", ex.SqlState);
    }

    [Fact]
    public async Task BothSyncApiReplicasAnswerOnTheirOwnPorts()
    {
        var capture = fixture.App.Services.GetRequiredService<ResourceLogCapture>();
        var replicas = capture.Instances("sync-api");
        Assert.Equal(2, replicas.Count);
        using var http = new HttpClient();
        foreach (var replica in replicas)
        {
            // Each replica listens on a port of its own; the endpoint's proxy spreads connections over them.
            var url = new Uri(replica.Snapshot.EnvironmentVariables.Single(e => e.Name == "ASPNETCORE_URLS").Value!);
            var response = await http.GetAsync(new Uri(url, "/alive"), Token);
            Assert.True(response.IsSuccessStatusCode, $"{replica.ResourceId} at {url} answered {response.StatusCode}");
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
}
