using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Bets.Api.Grid;
using Dapper;
using Microsoft.Data.Sqlite;
using Platform.TestSupport;
using StackExchange.Redis;

namespace Bets.Api.Tests;

/// <summary>Its own Redis set: a failover would disturb the tests sharing the assembly's Redis.</summary>
public sealed class FailoverTests(BetsFixture shared)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);
    private const int BetsEachSide = 20;

    [Fact]
    public async Task EveryBetThatGot2xxDuringASentinelFailoverIsInSqlite()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var redis = await RedisTopology.StartAsync(new RedisTopologyOptions { Replicas = 1, Sentinels = 3 }, ct).WaitAsync(Timeout, ct);
        await using var publisher = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString).WaitAsync(Timeout, ct);
        var file = Path.Combine(shared.Folder, "failover.db");
        await PublishAsync(publisher, 60_010m);
        await using var host = await BetsHost.StartAsync(redis.ConnectionString, file,
            new Dictionary<string, string?> { ["Grid:StaleAfterSeconds"] = "3600" }).WaitAsync(Timeout, ct);

        var clients = new List<HttpClient>();
        for (var i = 0; i < 4; i++)
        {
            var (client, _) = await shared.SignInAsync(host, ct).WaitAsync(Timeout, ct);
            (await client.PostAsync("/wallet/faucet", null, ct).WaitAsync(Timeout, ct)).EnsureSuccessStatusCode();
            clients.Add(client);
        }

        // Each acknowledged bet, and whether it was sent once the new master was in place.
        var accepted = new ConcurrentQueue<(string Id, bool AfterFailover)>();
        var failures = new ConcurrentBag<HttpStatusCode>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var seq = 0;
        var failedOver = 0;
        var load = clients.Select(client => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                var body = new { band = GridCalculator.BandOf(60_010m, 25m) + 1, windowStart = GridCalculator.FirstWindowStart(now, 30) + 30_000, stake = 100 };
                using var request = new HttpRequestMessage(HttpMethod.Post, "/bets") { Content = JsonContent.Create(body) };
                request.Headers.Add("Idempotency-Key", "f" + Interlocked.Increment(ref seq).ToString(CultureInfo.InvariantCulture));
                var afterFailover = Volatile.Read(ref failedOver) == 1;
                try
                {
                    using var response = await client.SendAsync(request, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
                    if (response.IsSuccessStatusCode)
                    {
                        accepted.Enqueue(((await response.Content.ReadFromJsonAsync<JsonObject>(CancellationToken.None))!["bet"]!["id"]!.ToString(), afterFailover));
                    }
                    else
                    {
                        failures.Add(response.StatusCode);
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TimeoutException or TaskCanceledException)
                {
                    failures.Add(0);
                }
                await Task.Delay(10, CancellationToken.None);
            }
        }, CancellationToken.None)).ToList();

        string Failures() => "failures so far (0: no answer): " + string.Join(", ", failures.GroupBy(f => (int)f).Select(g => $"{g.Key} x{g.Count()}"));

        // The failover comes under a load that is taking bets, and the load runs until bets sent after it, which the
        // rate limiter counts on the new master, are taken too.
        await Eventually.UntilAsync(() => accepted.Count >= BetsEachSide, $"{BetsEachSide} bets acknowledged before the failover", ct, Timeout, Failures);
        await redis.FailoverAsync(ct: ct).WaitAsync(Timeout, ct);
        Volatile.Write(ref failedOver, 1);
        await Eventually.UntilAsync(() => accepted.Count(a => a.AfterFailover) >= BetsEachSide, $"{BetsEachSide} bets sent after the failover acknowledged", ct,
            Timeout, Failures);
        await stop.CancelAsync();
        await Task.WhenAll(load).WaitAsync(Timeout, ct);

        Assert.All(failures, s => Assert.True(s is 0 or HttpStatusCode.ServiceUnavailable or HttpStatusCode.UnprocessableEntity, s.ToString()));
        await using var c = new SqliteConnection($"Data Source={file}");
        var stored = (await c.QueryAsync<string>("SELECT id FROM bets")).ToHashSet();
        Assert.All(accepted, a => Assert.Contains(a.Id, stored));
        foreach (var client in clients)
        {
            client.Dispose();
        }
    }

    private static async Task PublishAsync(ConnectionMultiplexer redis, decimal price)
    {
        var ts = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var p = price.ToString(CultureInfo.InvariantCulture);
        var json = $$"""{"symbol":"BTC/USD","price":"{{p}}","timestamp":{{ts}},"status":"ok","sources":[],"writer":"failover","seq":1,"id":"failover:1"}""";
        await redis.GetDatabase().StringSetAsync("price:btc:usd", json, TimeSpan.FromHours(1));
        await redis.GetDatabase().PublishAsync(RedisChannel.Literal("prices:btc:usd"), json);
    }
}
