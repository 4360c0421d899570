using Bets.Api.Bets;
using Bets.Api.Data;
using Bets.Api.Grid;
using Bets.Api.Prices;
using Bets.Api.Resolution;
using Bets.Api.Wallets;
using Dapper;
using Microsoft.Data.Sqlite;
using Platform.TestSupport;
using StackExchange.Redis;

namespace Bets.Api.Tests;

/// <summary>A plain Redis of the class's own: these tests need a history whose newest tick is theirs.</summary>
public sealed class PlainRedisFixture : IAsyncLifetime
{
    public RedisTopology Redis { get; private set; } = null!;
    public ConnectionMultiplexer Client { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Redis = await RedisTopology.StartAsync(new RedisTopologyOptions { Replicas = 0, Sentinels = 0 });
        Client = await ConnectionMultiplexer.ConnectAsync(Redis.ConnectionString);
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await Redis.DisposeAsync();
    }
}

public sealed class BackfillResolutionTests(BetsFixture shared, PlainRedisFixture plain) : IClassFixture<PlainRedisFixture>
{
    private static readonly DateTimeOffset T0 = new(2020, 6, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly long Start = T0.AddSeconds(60).ToUnixTimeMilliseconds(), End = T0.AddSeconds(90).ToUnixTimeMilliseconds();
    private const int SettleMs = 2_000, ToleranceMs = 10_000, WaitMs = 600_000;

    [Fact]
    public async Task TicksMissingDuringAnOutageAndBackFilledLaterResolveTheBetsWonAndLostNotVoid()
    {
        var ct = TestContext.Current.CancellationToken;
        var (bets, resolver, time) = await StartAsync("backfilled", ct);
        // The feed wrote until 70 s; then Redis was out of reach and nothing reached the history.
        await WriteAsync(Flat(0, 70), ct);

        time.Now = T0.AddSeconds(95);
        Assert.Equal(0, await resolver.ResolveDueAsync(SettleMs, ToleranceMs, WaitMs, ct: ct).WaitAsync(Timeout, ct));
        Assert.All(await StatusesAsync(bets.Keys), s => Assert.Equal("open", s));

        // Redis is back: Prices.Ingest writes what it made meanwhile, with its own timestamps, together with its next
        // live price (one atomic step, as its script does). The price climbed to 60,035 at 80 s.
        var made = Enumerable.Range(71, 25).Select(s => (s, s <= 80 ? 60_000m + (s - 70) * 3.5m : 60_020m)).Append((96, 60_020m));
        await WriteAsync(made, ct);
        time.Now = T0.AddSeconds(97);
        Assert.Equal(bets.Count, await resolver.ResolveDueAsync(SettleMs, ToleranceMs, WaitMs, ct: ct).WaitAsync(Timeout, ct));

        await using var c = new SqliteConnection($"Data Source={Path.Combine(shared.Folder, "backfilled.db")}");
        foreach (var (id, expected) in bets)
        {
            var row = await c.QuerySingleAsync<(string Status, string Evidence)>("SELECT status, evidence FROM bets WHERE id = @id", new { id });
            Assert.Equal(expected, row.Status);
            Assert.Contains("\"maxGapMs\":1000,", row.Evidence, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AGapNobodyFillsVoidsTheBetsOnceTheWaitForTheHistoryIsOver()
    {
        var ct = TestContext.Current.CancellationToken;
        var (bets, resolver, time) = await StartAsync("unfilled", ct);
        await WriteAsync(Flat(0, 70), ct);

        time.Now = DateTimeOffset.FromUnixTimeMilliseconds(End + WaitMs - 1);
        Assert.Equal(0, await resolver.ResolveDueAsync(SettleMs, ToleranceMs, WaitMs, ct: ct).WaitAsync(Timeout, ct));
        time.Now = DateTimeOffset.FromUnixTimeMilliseconds(End + WaitMs);
        Assert.Equal(bets.Count, await resolver.ResolveDueAsync(SettleMs, ToleranceMs, WaitMs, ct: ct).WaitAsync(Timeout, ct));
        Assert.All(await StatusesAsync(bets.Keys, "unfilled"), s => Assert.Equal("void", s));
    }

    /// <summary>A fresh history and database; two bets on the window 60–90 s: one band the back-filled climb touches, one it does not.</summary>
    private async Task<(Dictionary<string, string> Bets, BetResolver Resolver, FixedTime Time)> StartAsync(string name, CancellationToken ct)
    {
        await plain.Client.GetDatabase().KeyDeleteAsync(PriceFeed.HistoryKey).WaitAsync(Timeout, ct);
        var time = new FixedTime(T0);
        var options = new GridOptions { BandWidth = 10, MaxCellExposure = long.MaxValue / 4 };
        var db = new BetsDatabase($"Data Source={Path.Combine(shared.Folder, name + ".db")}");
        await db.MigrateAsync(ct);
        await new WalletLedger(db, time).FaucetAsync("0xB4CKF111", 100_000, ct);
        var store = Placements.For(db, time, plain.Client);
        var bets = new Dictionary<string, string>();
        foreach (var (band, outcome) in new[] { (6003, "won"), (6010, "lost") })
        {
            var cell = GridCalculator.PriceCell(60_000m, GridCalculator.PerSecond(0.6), T0.ToUnixTimeMilliseconds(), band, Start, options);
            var placed = Assert.IsType<PlaceOutcome.Placed>(await store.PlaceAsync(Placements.Quote("0xB4CKF111", 1_000, cell, 60_000m, options), ct));
            bets[placed.Bet.Id] = outcome;
        }

        return (bets, new BetResolver(db, new RedisPriceHistory(plain.Client), time), time);
    }

    private static IEnumerable<(int Second, decimal Price)> Flat(int from, int to) => Enumerable.Range(from, to - from + 1).Select(s => (s, 60_000m));

    /// <summary>Ticks as Prices.Ingest writes them (member <c>price:writer:seq</c>, score unix ms), in one ZADD.</summary>
    private Task WriteAsync(IEnumerable<(int Second, decimal Price)> ticks, CancellationToken ct) =>
        plain.Client.GetDatabase().SortedSetAddAsync(PriceFeed.HistoryKey,
            ticks.Select(t => new SortedSetEntry($"{t.Price}:ingest:{t.Second}", T0.AddSeconds(t.Second).ToUnixTimeMilliseconds())).ToArray())
            .WaitAsync(Timeout, ct);

    private async Task<List<string>> StatusesAsync(IEnumerable<string> ids, string name = "backfilled")
    {
        await using var c = new SqliteConnection($"Data Source={Path.Combine(shared.Folder, name + ".db")}");
        return (await c.QueryAsync<string>("SELECT status FROM bets WHERE id IN @ids", new { ids })).AsList();
    }
}
