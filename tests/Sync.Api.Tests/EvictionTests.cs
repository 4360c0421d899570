using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Platform.Redis.Memory;
using Platform.TestSupport;
using StackExchange.Redis;
using Sync.Api.Identity;
using Sync.Api.Playback;
using Sync.Api.Realtime;
using Sync.Api.Rooms;

namespace Sync.Api.Tests;

/// <summary>
/// Redis full under allkeys-lru evicts what it likes: a room's timeline and a session's cached copy come back from
/// PostgreSQL, a session that really ended is a clean 401, and the instance says it is Degraded while Redis evicts.
/// </summary>
public sealed class EvictionTests(SyncCluster cluster)
{
    private const string Video = "https://media.example/evicted.mp4";

    [Fact]
    public async Task AnEvictedTimelineIsRebuiltFromPostgreSqlWithItsSeqJumpedAheadForClientsOnBothInstancesAndLoggedOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        var host = await cluster.GuestAsync("host");
        var guest = await cluster.GuestAsync("guest", 1);
        var room = await cluster.CreateRoomAsync(host);
        await using var a = await cluster.JoinAsync(host, room.Id, 0);
        await using var b = await cluster.JoinAsync(guest, room.Id, 1);
        await a.Call<bool>("SetWaitOptOut", true);
        await b.Call<bool>("SetWaitOptOut", true);
        await a.Call<Timeline>("ChangeMedia", null, Video, "Evicted", 600_000L);
        var paused = await a.Call<Timeline>("Pause", (long?)null);
        var seeked = await a.Call<Timeline>("Seek", paused.Seq, 42_000.0);
        await b.WaitForSeqAsync(seeked.Seq);

        // The copy in PostgreSQL catches up within Sync:TimelinePersistInterval (1 s).
        var store = cluster.Apps[0].Services.GetRequiredService<RoomStore>();
        await Eventually.UntilAsync(async () => await store.LoadTimelineAsync(room.Id, ct) is { } saved && SyncJson.Deserialize<Timeline>(saved).Seq == seeked.Seq,
            $"PostgreSQL to hold seq {seeked.Seq}", ct, SyncCluster.Timeout);

        var logs = new[] { Capture(cluster.Apps[0]), Capture(cluster.Apps[1]) };
        await using var redis = await ConnectionMultiplexer.ConnectAsync(cluster.Redis.ConnectionString);
        Assert.True(await redis.GetDatabase().KeyDeleteAsync(TimelineStore.Key(room.Id)));

        // Both instances find the key gone at once; each member gets the same rebuilt state.
        var snapshots = await Task.WhenAll(a.Call<Snapshot>("GetSnapshot"), b.Call<Snapshot>("GetSnapshot"));
        var restored = seeked with { Seq = seeked.Seq + TimelineStore.RestoreSeqJump };
        Assert.All(snapshots, s => Assert.Equal(restored, s.Timeline));

        // Commands go on from the rebuilt state, to everyone.
        var played = await b.Call<Timeline>("Play", restored.Seq);
        Assert.Equal(restored.Seq + 1, played.Seq);
        await a.WaitForSeqAsync(played.Seq);
        Assert.Equal(played, a.Latest);

        var warnings = logs.SelectMany(l => l).Where(e => e.Message.Contains($"Timeline of room {room.Id} was missing in Redis", StringComparison.Ordinal)).ToList();
        var warning = Assert.Single(warnings);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.EndsWith($"restored from PostgreSQL at seq {restored.Seq}", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnEvictedSessionCacheEntryIsReadAgainFromPostgreSqlAndASessionThatEndedIsA401SayingSo()
    {
        var ct = TestContext.Current.CancellationToken;
        var guest = await cluster.GuestAsync("evicted");
        await using var dataSource = NpgsqlDataSource.Create(cluster.Postgres.ConnectionString("syncdb"));
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var sessionId = await connection.QuerySingleAsync<Guid>("SELECT id FROM sessions WHERE user_id = @userId", new { userId = guest.UserId });
        await using var redis = await ConnectionMultiplexer.ConnectAsync(cluster.Redis.ConnectionString);
        var db = redis.GetDatabase();

        // Only a cache: PostgreSQL holds the session, so an eviction ends nothing and the copy comes back.
        Assert.True(await db.KeyDeleteAsync(Sessions.CacheKey(sessionId)));
        using (var me = await cluster.SendAsync(cluster.Request(HttpMethod.Get, "/api/sessions/me", guest, instance: 1)))
        {
            Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        }

        Assert.True(await db.KeyExistsAsync(Sessions.CacheKey(sessionId)));

        // A session that did end (revoked here; expiry reads the same) is refused in words a client can act on.
        await connection.ExecuteAsync("UPDATE sessions SET revoked = true WHERE id = @sessionId", new { sessionId });
        Assert.True(await db.KeyDeleteAsync(Sessions.CacheKey(sessionId)));
        using var refused = await cluster.SendAsync(cluster.Request(HttpMethod.Get, "/api/sessions/me", guest));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        var problem = (await refused.Content.ReadFromJsonAsync<JsonObject>(ct))!;
        Assert.Equal(ErrorCodes.Unauthorized, problem["code"]!.ToString());
        Assert.Equal("Session expired", problem["title"]!.ToString());
        Assert.Equal("Your session has expired or was signed out: sign in as a guest (POST /api/sessions) to get a new one.", problem["detail"]!.ToString());
    }

    [Fact]
    public async Task FillingRedisUntilItEvictsTurnsTheInstanceDegradedNotUnhealthy()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var redis = await RedisTopology.StartAsync(new RedisTopologyOptions { Replicas = 0, Sentinels = 0, MaxMemory = "4mb" }, ct).WaitAsync(SyncCluster.Timeout, ct);
        var app = await SyncCluster.StartInstanceAsync(redis.ConnectionString, cluster.Postgres.ConnectionString("syncdb"), ct,
            new Dictionary<string, string?> { ["RedisMemory:PollInterval"] = "00:00:00.100" });
        try
        {
            var url = new Uri(app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
            using var http = new HttpClient { BaseAddress = url, Timeout = SyncCluster.Timeout };
            var monitor = app.Services.GetRequiredService<RedisMemoryMonitor>();
            await Eventually.UntilAsync(() => monitor.Last is not null, "a first reading of Redis memory", ct, SyncCluster.Timeout);
            Assert.Equal("Healthy", (await HealthAsync(http, ct))["status"]!.ToString());

            await using var client = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
            var value = new string('x', 8 * 1024);
            for (var i = 0; i < 1024; i++)
            {
                await client.GetDatabase().StringSetAsync($"filler:{i}", value);
            }

            await Eventually.UntilAsync(async () => (await HealthAsync(http, ct))["status"]!.ToString() == "Degraded", "health to turn Degraded", ct, SyncCluster.Timeout);
            var health = (await HealthAsync(http, ct))!;
            var check = health["checks"]![RedisMemoryHealthCheck.Name]!;
            Assert.Equal("Degraded", check["status"]!.ToString());
            Assert.StartsWith("Redis evicted ", check["description"]!.ToString(), StringComparison.Ordinal);
            Assert.True(monitor.EvictedRecently > 0);
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
        }
    }

    private static async Task<JsonObject> HealthAsync(HttpClient http, CancellationToken ct)
    {
        using var response = await http.GetAsync("/health", ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode); // Degraded keeps the instance in rotation
        return (await response.Content.ReadFromJsonAsync<JsonObject>(ct))!;
    }

    private static ConcurrentQueue<(LogLevel Level, string Message)> Capture(WebApplication app)
    {
        var provider = new Logs();
        app.Services.GetRequiredService<ILoggerFactory>().AddProvider(provider);
        return provider.Entries;
    }

    private sealed class Logs : ILoggerProvider
    {
        public ConcurrentQueue<(LogLevel Level, string Message)> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(Entries);

        public void Dispose()
        {
        }

        private sealed class Logger(ConcurrentQueue<(LogLevel, string)> entries) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                entries.Enqueue((logLevel, formatter(state, exception)));
        }
    }
}
