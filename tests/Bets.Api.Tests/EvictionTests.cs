using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Bets.Api.Auth;
using Platform.Redis.Memory;
using Platform.Sessions;
using Platform.TestSupport;
using StackExchange.Redis;

namespace Bets.Api.Tests;

/// <summary>Redis full under allkeys-lru: evictions show on the dashboard and in health, and an evicted session is a clean 401.</summary>
public sealed class EvictionTests(BetsFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task AnEvictedSessionIsA401ProblemSayingTheSessionExpiredAndToSignInAgain()
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, wallet) = await fixture.SignInAsync(fixture.Host, ct).WaitAsync(Timeout, ct);
        using (client)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/balance", ct).WaitAsync(Timeout, ct)).StatusCode);

            // What allkeys-lru does to a session nobody used for a while: the key is gone, and nobody is told.
            Assert.True(await fixture.Client.GetDatabase().KeyDeleteAsync(SessionStore.SessionKey(wallet)).WaitAsync(Timeout, ct));

            // The instance may trust its in-process copy for Auth:SessionCacheSeconds (2 s) more.
            var response = await Eventually.UntilAsync(() => client.GetAsync("/balance", ct).WaitAsync(Timeout, ct), r => r.StatusCode == HttpStatusCode.Unauthorized,
                "the evicted session to be refused", ct, TimeSpan.FromSeconds(15));

            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
            var problem = (await response.Content.ReadFromJsonAsync<JsonObject>(ct))!;
            Assert.Equal(401, (int)problem["status"]!);
            Assert.Equal(SessionAuthentication.SessionExpiredType, problem["type"]!.ToString());
            Assert.Equal("Session expired", problem["title"]!.ToString());
            Assert.Equal("Your session has expired or was signed out: sign in with your wallet (POST /auth/verify) to get a new one.", problem["detail"]!.ToString());
        }

        // No token at all is another story: sign-in required, not "expired".
        var anonymous = (await (await fixture.Host.Http.GetAsync("/balance", ct).WaitAsync(Timeout, ct)).Content.ReadFromJsonAsync<JsonObject>(ct))!;
        Assert.Equal("Sign-in required", anonymous["title"]!.ToString());
    }

    [Fact]
    public async Task FillingASmallRedisUntilItEvictsShowsTheEvictionsInTheMetricsAndTurnsHealthDegradedNotUnhealthy()
    {
        var ct = TestContext.Current.CancellationToken;
        const long maxMemory = 4 * 1024 * 1024;
        await using var redis = await RedisTopology.StartAsync(new RedisTopologyOptions { Replicas = 0, Sentinels = 0, MaxMemory = "4mb" }, ct).WaitAsync(Timeout, ct);
        await using var client = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString).WaitAsync(Timeout, ct);
        await using var host = await BetsHost.StartAsync(redis.ConnectionString, Path.Combine(fixture.Folder, "evicting.db"),
            new Dictionary<string, string?> { ["RedisMemory:PollInterval"] = "00:00:00.100" }).WaitAsync(Timeout, ct);

        // The instruments of this instance only: the assembly's other Bets.Api instances publish on a meter of the same name.
        var meters = host.Get<IMeterFactory>();
        var seen = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (ReferenceEquals(instrument.Meter.Scope, meters) && instrument.Meter.Name == "Bets.Api" && instrument.Name.StartsWith("redis.", StringComparison.Ordinal))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => seen[instrument.Name] = value);
        listener.Start();

        await Eventually.UntilAsync(() => { listener.RecordObservableInstruments(); return seen.ContainsKey("redis.keys.evicted"); }, "a first redis.keys.evicted measurement", ct);
        Assert.Equal(maxMemory, seen["redis.maxmemory"]);
        Assert.Equal(0, seen["redis.keys.evicted"]);
        Assert.InRange(seen["redis.memory.used"], 1, maxMemory);
        Assert.Equal("Healthy", (await RedisMemoryCheckAsync(host, ct))["status"]!.ToString());

        // Twice maxmemory in 8 KB strings: allkeys-lru makes room by evicting, and says nothing to the writer.
        var db = client.GetDatabase();
        var value = new string('x', 8 * 1024);
        for (var i = 0; i < 2 * maxMemory / value.Length; i++)
        {
            await db.StringSetAsync($"filler:{i}", value).WaitAsync(Timeout, ct);
        }

        await Eventually.UntilAsync(() => { listener.RecordObservableInstruments(); return seen["redis.keys.evicted"] > 0; }, "redis.keys.evicted to count an eviction", ct);
        Assert.InRange(seen["redis.memory.used"], maxMemory / 2, maxMemory + 1024 * 1024);

        using var response = await host.Http.GetAsync("/health", ct).WaitAsync(Timeout, ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode); // Degraded keeps the instance in rotation
        var health = (await response.Content.ReadFromJsonAsync<JsonObject>(ct))!;
        Assert.Equal("Degraded", health["status"]!.ToString());
        var check = health["checks"]![RedisMemoryHealthCheck.Name]!;
        Assert.Equal("Degraded", check["status"]!.ToString());
        Assert.Matches(@"^Redis evicted \d+ keys in the last 5 min \(.* MB of 4\.0 MB used, policy allkeys-lru\): keys this service needs", check["description"]!.ToString());
    }

    private static async Task<JsonNode> RedisMemoryCheckAsync(BetsHost host, CancellationToken ct)
    {
        var health = await host.Http.GetFromJsonAsync<JsonObject>("/health", ct).WaitAsync(Timeout, ct);
        return health!["checks"]![RedisMemoryHealthCheck.Name]!;
    }
}
