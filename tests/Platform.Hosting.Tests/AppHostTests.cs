using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
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
    public async Task EveryProjectRunsWithTierOneRecompilationDeferredPastItsStart()
    {
        foreach (var name in new[] { "prices-ingest", "bets-api", "sync-api", "web" })
        {
            var pids = await fixture.App.ProcessIdsAsync(name, Token);
            Assert.NotEmpty(pids);
            foreach (var pid in pids)
            {
                // The process DCP started is `dotnet run`; the service is its child and inherits its environment.
                var environment = (await File.ReadAllTextAsync($"/proc/{pid}/environ", Token)).Split('\0');
                Assert.Contains("DOTNET_TC_CallCountingDelayMs=2000", environment);
            }
        }
    }

    [Fact]
    public async Task EveryServiceOnRedisStartsWithPoolThreadsForStackExchangeRedisBlockingFailoverHandlers()
    {
        // StackExchange.Redis follows a Sentinel failover with blocking calls on pool threads; with the default minimum
        // (the core count) a master kill starved the pool and the services took 6–13 s to write again instead of 2–3.
        foreach (var name in new[] { "prices-ingest", "bets-api", "sync-api" })
        {
            foreach (var pid in await fixture.App.ProcessIdsAsync(name, Token))
            {
                // `dotnet run` (the process DCP started) runs the service's own executable as its child.
                var child = (await File.ReadAllTextAsync($"/proc/{pid}/task/{pid}/children", Token)).Split(' ', StringSplitOptions.RemoveEmptyEntries).Single();
                var executable = (await File.ReadAllTextAsync($"/proc/{child}/cmdline", Token)).Split('\0')[0];
                var runtimeConfig = JsonNode.Parse(await File.ReadAllTextAsync(executable + ".runtimeconfig.json", Token))!;
                var minThreads = runtimeConfig["runtimeOptions"]?["configProperties"]?["System.Threading.ThreadPool.MinThreads"]?.GetValue<int>();
                Assert.True(minThreads >= 16, $"{name} ({executable}) starts with a minimum of {minThreads?.ToString(CultureInfo.InvariantCulture) ?? "the core count of"} pool threads");
            }
        }
    }

    [Fact]
    public void NoProjectTakesTheHttpsDeveloperCertificate()
    {
        // Each one that did would have the dashboard warn of an untrusted developer certificate on every run.
#pragma warning disable ASPIRECERTIFICATES001
        foreach (var project in fixture.App.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<ProjectResource>())
        {
            Assert.True(project.TryGetLastAnnotation<HttpsCertificateAnnotation>(out var certificate)
                && certificate.UseDeveloperCertificate is false && certificate.Certificate is null, $"{project.Name} takes the developer certificate");
        }
#pragma warning restore ASPIRECERTIFICATES001
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
