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

        var accepted = new ConcurrentBag<string>();
        var failures = new ConcurrentBag<HttpStatusCode>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var seq = 0;
        var load = clients.Select(client => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                var body = new { band = GridCalculator.BandOf(60_010m, 25m) + 1, windowStart = GridCalculator.FirstWindowStart(now, 30) + 30_000, stake = 100 };
                using var request = new HttpRequestMessage(HttpMethod.Post, "/bets") { Content = JsonContent.Create(body) };
                request.Headers.Add("Idempotency-Key", "f" + Interlocked.Increment(ref seq).ToString(CultureInfo.InvariantCulture));
                try
                {
                    using var response = await client.SendAsync(request, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
                    if (response.IsSuccessStatusCode)
                    {
                        accepted.Add((await response.Content.ReadFromJsonAsync<JsonObject>(CancellationToken.None))!["bet"]!["id"]!.ToString());
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

        await Task.Delay(1000, ct);
        var before = accepted.Count;
        await redis.FailoverAsync(ct: ct).WaitAsync(Timeout, ct);
        await Task.Delay(3000, ct);
        await stop.CancelAsync();
        await Task.WhenAll(load).WaitAsync(Timeout, ct);

        Assert.True(before > 0, "no bet was accepted before the failover");
        Assert.True(accepted.Count > before, "no bet was accepted after the failover");
        Assert.All(failures, s => Assert.True(s is 0 or HttpStatusCode.ServiceUnavailable or HttpStatusCode.UnprocessableEntity, s.ToString()));
        await using var c = new SqliteConnection($"Data Source={file}");
        var stored = (await c.QueryAsync<string>("SELECT id FROM bets")).ToHashSet();
        Assert.All(accepted, id => Assert.Contains(id, stored));
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
