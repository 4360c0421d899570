using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.Redis.Failover;
using Platform.TestSupport;
using Sync.Api.Identity;
using Sync.Api.Realtime;
using Sync.Api.Rooms;

namespace Sync.Api.Tests;

public sealed class RedisOutageTests(SyncCluster cluster)
{
    private const int Rounds = 5;

    [Fact]
    public async Task WhileRedisIsDownRequestsAndHubCommandsAreRefusedAtOnceWithOneWarningAndWorkAgainOnceItIsBack()
    {
        var ct = TestContext.Current.CancellationToken;
        // An instance on a Redis of its own (one plain server): stopping the cluster's would disturb the other tests.
        await using var redis = await RedisTopology.StartAsync(new RedisTopologyOptions { Replicas = 0, Sentinels = 0 }, ct).WaitAsync(SyncCluster.Timeout, ct);
        var app = await SyncCluster.StartInstanceAsync(redis.ConnectionString, cluster.Postgres.ConnectionString("syncdb"), ct);
        try
        {
            await RefusesAtOnceAndRecoversAsync(app, redis, ct);
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
        }
    }

    private static async Task RefusesAtOnceAndRecoversAsync(WebApplication app, RedisTopology redis, CancellationToken ct)
    {
        var logs = new Logs();
        app.Services.GetRequiredService<ILoggerFactory>().AddProvider(logs);
        var url = new Uri(app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        using var http = new HttpClient { BaseAddress = url, Timeout = SyncCluster.Timeout };

        var session = await CreateSessionAsync(http, ct);
        var guest = new Guest(session.UserId, "outage", session.Token);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", session.Token);
        var room = (await (await http.PostAsJsonAsync("/api/rooms", new { name = "outage" }, SyncJson.Options, ct)).EnsureSuccessStatusCode()
            .Content.ReadFromJsonAsync<Room>(SyncJson.Options, ct))!;
        await using var member = new SyncClient(guest, await HubClient.ConnectAsync(url, session.Token, SyncJson.Options, ct).WaitAsync(SyncCluster.Timeout, ct));
        await member.Call<Snapshot>("JoinRoom", room.Id, null);

        var port = await redis.KillMasterAsync();
        var outage = app.Services.GetRequiredService<RedisOutage>();
        // Opened by the multiplexer's connection-failed event, before any request: none of those below waits on Redis.
        await Eventually.UntilAsync(() => outage.IsOpen, "the Redis breaker to open", ct, TimeSpan.FromSeconds(15));

        for (var i = 0; i < Rounds; i++)
        {
            await RefusedAsync(await http.GetAsync($"/api/rooms/{room.Id}/members", ct));
            await RefusedAsync(await http.PostAsJsonAsync("/api/sessions", new { displayName = "later" }, SyncJson.Options, ct));
            var refused = await member.Try<Snapshot>("GetSnapshot");
            Assert.False(refused.Ok);
            Assert.Equal(ErrorCodes.Unavailable, refused.Error!.Code);
            Assert.Equal(1000, refused.Error.RetryAfterMs);
        }

        // Redis comes back (empty: the test server keeps nothing on disk; sessions and rooms live in PostgreSQL).
        await redis.RestartNodeAsync(port, ct).WaitAsync(SyncCluster.Timeout, ct);
        // StackExchange.Redis reconnects with an exponential back-off of up to ten seconds between attempts.
        await Eventually.UntilAsync(() => !outage.IsOpen, "the Redis breaker to close", ct, TimeSpan.FromSeconds(60));
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/api/rooms/{room.Id}/members", ct)).StatusCode);
        await CreateSessionAsync(http, ct);

        // One warning when it started, one with the count when it ended; nothing per request. (The Redis client and the
        // SignalR backplane log each failed reconnection attempt themselves: per connection, not per request.)
        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Error && !IsRedisClient(e.Category));
        Assert.DoesNotContain(logs.Entries, e => e.Category == typeof(SyncHub).FullName && e.Level >= LogLevel.Warning);
        var outageLogs = logs.Entries.Where(e => e.Category == typeof(RedisOutage).FullName).ToList();
        Assert.Equal(2, outageLogs.Count);
        Assert.All(outageLogs, e => Assert.Equal(LogLevel.Warning, e.Level));
        Assert.Contains($"{3 * Rounds} requests were refused", outageLogs[1].Message, StringComparison.Ordinal);
    }

    private static bool IsRedisClient(string category) =>
        category.StartsWith("StackExchange.Redis.", StringComparison.Ordinal)
        || category.StartsWith("Microsoft.AspNetCore.SignalR.StackExchangeRedis.", StringComparison.Ordinal);

    private static async Task<SessionResponse> CreateSessionAsync(HttpClient http, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/sessions") { Content = JsonContent.Create(new { displayName = "outage" }, options: SyncJson.Options) };
        var response = await http.SendAsync(request, ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<SessionResponse>(SyncJson.Options, ct))!;
    }

    private static Task RefusedAsync(HttpResponseMessage response) => RedisOutageAnswers.AssertRefusedAsync(response, "code", ErrorCodes.Unavailable);

    private sealed class Logs : ILoggerProvider
    {
        public ConcurrentQueue<(string Category, LogLevel Level, string Message)> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, Entries);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, ConcurrentQueue<(string, LogLevel, string)> entries) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                entries.Enqueue((category, logLevel, formatter(state, exception)));
        }
    }
}
