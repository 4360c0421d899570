using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Bets.Api.Grid;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.Redis.Failover;
using Platform.TestSupport;
using StackExchange.Redis;

namespace Bets.Api.Tests;

/// <summary>Its own Redis (one plain server): stopping it would disturb every test sharing the assembly's.</summary>
public sealed class RedisOutageTests(BetsFixture shared, PlainRedisFixture plain) : IClassFixture<PlainRedisFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private const int Rounds = 5;

    [Fact]
    public async Task WhileRedisIsDownRequestsThatNeedItGet503WithRetryAfterAtOnceAndOneWarningAndSucceedOnceItIsBack()
    {
        var ct = TestContext.Current.CancellationToken;
        var logs = new LogCapture();
        await PublishPriceAsync(60_010m);
        await using var host = await BetsHost.StartAsync(plain.Redis.ConnectionString, Path.Combine(shared.Folder, "outage.db"),
            services: s => s.AddSingleton<ILoggerProvider>(logs)).WaitAsync(Timeout, ct);
        var key = Signer.RandomKey();
        var (client, _) = await shared.SignInAsync(host, ct, key).WaitAsync(Timeout, ct);
        using (client)
        {
            (await client.PostAsync("/wallet/faucet", null, ct).WaitAsync(Timeout, ct)).EnsureSuccessStatusCode();
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/grid", ct).WaitAsync(Timeout, ct)).StatusCode);

            var port = await plain.Redis.KillMasterAsync();
            var outage = host.Get<RedisOutage>();
            // Opened by the multiplexer's connection-failed event, before any request: none of those below waits on Redis.
            await Eventually.UntilAsync(() => outage.IsOpen, "the Redis breaker to open", ct);

            for (var i = 0; i < Rounds; i++)
            {
                await RefusedAsync(await PlaceAsync(client, $"outage-{i}", ct));
                await RefusedAsync(await client.GetAsync("/grid", ct).WaitAsync(Timeout, ct));
                await RefusedAsync(await client.GetAsync("/balance", ct).WaitAsync(Timeout, ct));
                await RefusedAsync(await client.GetAsync("/prices/history", ct).WaitAsync(Timeout, ct));
                await RefusedAsync(await host.Http.GetAsync("/auth/nonce", ct).WaitAsync(Timeout, ct));
            }

            // What needs no Redis still answers: the latest price is held in memory.
            Assert.Equal(HttpStatusCode.OK, (await host.Http.GetAsync("/prices/latest", ct).WaitAsync(Timeout, ct)).StatusCode);

            // Redis comes back (empty: the test server keeps nothing on disk); the breaker closes by itself.
            await plain.Redis.RestartNodeAsync(port, ct).WaitAsync(Timeout, ct);
            // StackExchange.Redis reconnects with an exponential back-off of up to ten seconds between attempts.
            await Eventually.UntilAsync(() => !outage.IsOpen, "the Redis breaker to close", ct, TimeSpan.FromSeconds(60));
            await PublishPriceAsync(60_010m);
            Assert.Equal(HttpStatusCode.OK, (await host.Http.GetAsync("/grid", ct).WaitAsync(Timeout, ct)).StatusCode);
        }

        var (again, _) = await shared.SignInAsync(host, ct, key).WaitAsync(Timeout, ct);
        using (again)
        {
            Assert.Equal(HttpStatusCode.Created, (await PlaceAsync(again, "after-outage", ct)).StatusCode);
        }

        // One warning when it started, one with the count when it ended; never an error, never one per request. (The
        // Redis client logs each failed reconnection attempt itself: per connection, not per request.)
        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Error && e.Category != typeof(ConnectionMultiplexer).FullName);
        var outageLogs = logs.Entries.Where(e => e.Category == typeof(RedisOutage).FullName).ToList();
        Assert.Equal(2, outageLogs.Count);
        Assert.All(outageLogs, e => Assert.Equal(LogLevel.Warning, e.Level));
        Assert.Contains("refused with 503 until it answers again", outageLogs[0].Message, StringComparison.Ordinal);
        Assert.Contains($"{5 * Rounds} requests were refused", outageLogs[1].Message, StringComparison.Ordinal);
    }

    private static Task RefusedAsync(HttpResponseMessage response) => RedisOutageAnswers.AssertRefusedAsync(response, "type", Problems.Unavailable);

    private static async Task<HttpResponseMessage> PlaceAsync(HttpClient client, string idempotencyKey, CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var body = new { band = GridCalculator.BandOf(60_010m, 25m) + 1, windowStart = GridCalculator.FirstWindowStart(now, 30) + 30_000, stake = 100 };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/bets") { Content = JsonContent.Create(body) };
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        return await client.SendAsync(request, ct).WaitAsync(Timeout, ct);
    }

    /// <summary>A price as Prices.Ingest writes it: the key, the history member and the channel message.</summary>
    private async Task PublishPriceAsync(decimal price)
    {
        var ts = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var p = price.ToString(CultureInfo.InvariantCulture);
        var json = $$"""{"symbol":"BTC/USD","price":"{{p}}","timestamp":{{ts}},"status":"ok","sources":[],"writer":"outage","seq":{{ts}},"id":"outage:{{ts}}"}""";
        var db = plain.Client.GetDatabase();
        await db.StringSetAsync("price:btc:usd", json, TimeSpan.FromHours(1));
        await db.SortedSetAddAsync("prices:btc:usd:ts", $"{p}:outage:{ts}", ts);
        await db.PublishAsync(RedisChannel.Literal("prices:btc:usd"), json);
    }
}
