using System.Text.Json.Nodes;
using Bets.Api.Bets;
using Bets.Api.Data;
using Bets.Api.Grid;
using Bets.Api.Prices;
using Bets.Api.Resolution;
using Bets.Api.Wallets;
using Dapper;
using Microsoft.Data.Sqlite;
using StackExchange.Redis;

namespace Bets.Api.Tests;

/// <summary>
/// Under memory pressure allkeys-lru may evict the price history (the whole sorted set; the writer then starts a new one
/// from its next price). A window whose ticks went with it is voided and refunded with the hole named in its evidence,
/// never decided on what is left.
/// </summary>
public sealed class EvictedHistoryTests(BetsFixture shared, PlainRedisFixture plain) : IClassFixture<PlainRedisFixture>
{
    private static readonly DateTimeOffset T0 = new(2020, 9, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private const int SettleMs = 2_000, ToleranceMs = 10_000, WaitMs = 600_000, Stake = 1_000, Funds = 100_000;
    private const string Wallet = "0xE71C7ED";

    [Fact]
    public async Task AWindowWhoseHistoryWasEvictedIsVoidedAndRefundedWithTheGapInItsEvidenceWhileTheNextWindowIsDecided()
    {
        var ct = TestContext.Current.CancellationToken;
        var (bets, resolver, time, file) = await StartAsync("evicted-key", [(6003, 60), (6010, 60), (6003, 100), (6010, 100)], ct);
        await WriteAsync(Path(0, 70), ct);

        // Redis evicts the whole history; the writer's next prices start a new sorted set at 75 s, inside the window 60–90 s.
        Assert.True(await plain.Client.GetDatabase().KeyDeleteAsync(PriceFeed.HistoryKey).WaitAsync(Timeout, ct));
        await WriteAsync(Path(75, 85), ct);

        // The history has not reached the window's end yet: nothing is decided on it.
        time.Now = T0.AddSeconds(95);
        Assert.Equal(0, await resolver.ResolveDueAsync(SettleMs, ToleranceMs, WaitMs, ct: ct).WaitAsync(Timeout, ct));

        await WriteAsync(Path(86, 135), ct);
        time.Now = T0.AddSeconds(140);
        Assert.Equal(bets.Count, await resolver.ResolveDueAsync(SettleMs, ToleranceMs, WaitMs, ct: ct).WaitAsync(Timeout, ct));

        var evicted = await BetsOfWindowAsync(file, bets, 60);
        Assert.All(evicted, b =>
        {
            Assert.Equal("void", b.Status);
            var evidence = JsonNode.Parse(b.Evidence)!;
            Assert.Equal("void", evidence["verdict"]!.ToString());
            Assert.Equal(15_000, (long)evidence["maxGapMs"]!);
            Assert.Equal(Ms(60), (long)evidence["gapFrom"]!);
            Assert.Equal(Ms(75), (long)evidence["gapTo"]!);
            Assert.Equal("the price history has a gap of 15000 ms from 2020-09-01T00:01:00.000Z to 2020-09-01T00:01:15.000Z, over the tolerance of 10000 ms (evicted from Redis or never written)",
                evidence["reason"]!.ToString());
        });
        // The next window lies wholly in the new history: decided as usual (the price climbed through 6,003 at 100 s on).
        Assert.Equal(["lost", "won"], (await BetsOfWindowAsync(file, bets, 100)).Select(b => b.Status).Order());
        await AssertRefundedAsync(file, evicted, ct);
    }

    [Fact]
    public async Task TicksMissingFromTheMiddleOfTheHistoryVoidTheWindowEvenWhereTheTicksLeftWouldSayLost()
    {
        var ct = TestContext.Current.CancellationToken;
        var (bets, resolver, time, file) = await StartAsync("evicted-range", [(6003, 60)], ct);
        // The price touched 60,035 (band 6003) only between 70 and 80 s; those ticks are gone, the rest stayed below.
        await WriteAsync(Path(0, 135, spike: (70, 80)), ct);
        await plain.Client.GetDatabase().SortedSetRemoveRangeByScoreAsync(PriceFeed.HistoryKey, Ms(55), Ms(85)).WaitAsync(Timeout, ct);

        time.Now = T0.AddSeconds(140);
        Assert.Equal(1, await resolver.ResolveDueAsync(SettleMs, ToleranceMs, WaitMs, ct: ct).WaitAsync(Timeout, ct));

        var bet = Assert.Single(await BetsOfWindowAsync(file, bets, 60));
        Assert.Equal("void", bet.Status);
        var evidence = JsonNode.Parse(bet.Evidence)!;
        Assert.Equal("the price history has a gap of 32000 ms from 2020-09-01T00:00:54.000Z to 2020-09-01T00:01:26.000Z, over the tolerance of 10000 ms (evicted from Redis or never written)",
            evidence["reason"]!.ToString());
        await AssertRefundedAsync(file, [bet], ct);
    }

    [Fact]
    public async Task AWindowWithNoHistoryLeftAtAllIsVoidedOnceTheWaitIsOverAndSaysWhichSpanIsMissing()
    {
        var ct = TestContext.Current.CancellationToken;
        var (bets, resolver, time, file) = await StartAsync("evicted-all", [(6003, 60)], ct);
        await WriteAsync(Path(0, 95), ct);
        // Evicted, and nothing wrote a price since (Prices.Ingest stopped or unable to write).
        await plain.Client.GetDatabase().KeyDeleteAsync(PriceFeed.HistoryKey).WaitAsync(Timeout, ct);

        time.Now = DateTimeOffset.FromUnixTimeMilliseconds(Ms(90) + WaitMs - 1);
        Assert.Equal(0, await resolver.ResolveDueAsync(SettleMs, ToleranceMs, WaitMs, ct: ct).WaitAsync(Timeout, ct));
        time.Now = DateTimeOffset.FromUnixTimeMilliseconds(Ms(90) + WaitMs);
        Assert.Equal(1, await resolver.ResolveDueAsync(SettleMs, ToleranceMs, WaitMs, ct: ct).WaitAsync(Timeout, ct));

        var bet = Assert.Single(await BetsOfWindowAsync(file, bets, 60));
        Assert.Equal("void", bet.Status);
        Assert.Equal("no price history between 2020-09-01T00:00:50.000Z and 2020-09-01T00:01:30.000Z (evicted from Redis or never written)",
            JsonNode.Parse(bet.Evidence)!["reason"]!.ToString());
        await AssertRefundedAsync(file, [bet], ct);
    }

    private sealed record StoredBet(string Id, string Status, string Evidence);

    private static long Ms(int second) => T0.AddSeconds(second).ToUnixTimeMilliseconds();

    /// <summary>A fresh history and database; bets of <see cref="Stake"/> on (band, window start second) with 30 s windows.</summary>
    private async Task<(Dictionary<string, int> Bets, BetResolver Resolver, FixedTime Time, string File)> StartAsync(
        string name, (int Band, int StartSecond)[] cells, CancellationToken ct)
    {
        await plain.Client.GetDatabase().KeyDeleteAsync(PriceFeed.HistoryKey).WaitAsync(Timeout, ct);
        var time = new FixedTime(T0);
        var options = new GridOptions { BandWidth = 10, MaxCellExposure = long.MaxValue / 4 };
        var file = System.IO.Path.Combine(shared.Folder, name + ".db");
        var db = new BetsDatabase($"Data Source={file}");
        await db.MigrateAsync(ct);
        await new WalletLedger(db, time).FaucetAsync(Wallet, Funds, ct);
        var store = Placements.For(db, time, plain.Client);
        var bets = new Dictionary<string, int>();
        foreach (var (band, start) in cells)
        {
            var cell = GridCalculator.PriceCell(60_000m, GridCalculator.PerSecond(0.6), T0.ToUnixTimeMilliseconds(), band, Ms(start), options);
            var placed = Assert.IsType<PlaceOutcome.Placed>(await store.PlaceAsync(Placements.Quote(Wallet, Stake, cell, 60_000m, options), ct));
            bets[placed.Bet.Id] = start;
        }

        return (bets, new BetResolver(db, new RedisPriceHistory(plain.Client), time), time, file);
    }

    /// <summary>One tick a second: 60,000, climbing to 60,035 from 100 s on, or only inside <paramref name="spike"/>.</summary>
    private static IEnumerable<(int Second, decimal Price)> Path(int from, int to, (int From, int To)? spike = null) =>
        Enumerable.Range(from, to - from + 1).Select(s => (s,
            spike is { } p ? (s >= p.From && s <= p.To ? 60_035m : 60_000m) : s >= 100 ? 60_035m : 60_000m));

    /// <summary>Ticks as Prices.Ingest writes them (member <c>price:writer:seq</c>, score unix ms).</summary>
    private Task WriteAsync(IEnumerable<(int Second, decimal Price)> ticks, CancellationToken ct) =>
        plain.Client.GetDatabase().SortedSetAddAsync(PriceFeed.HistoryKey,
            ticks.Select(t => new SortedSetEntry($"{t.Price}:ingest:{t.Second}", Ms(t.Second))).ToArray()).WaitAsync(Timeout, ct);

    private static async Task<List<StoredBet>> BetsOfWindowAsync(string file, Dictionary<string, int> bets, int startSecond)
    {
        await using var c = new SqliteConnection($"Data Source={file}");
        var ids = bets.Where(b => b.Value == startSecond).Select(b => b.Key).ToList();
        var rows = (await c.QueryAsync<StoredBet>("SELECT id AS Id, status AS Status, evidence AS Evidence FROM bets WHERE id IN @ids", new { ids })).AsList();
        Assert.Equal(ids.Count, rows.Count);
        return rows;
    }

    /// <summary>Each voided bet has exactly one refund of its stake in the ledger.</summary>
    private static async Task AssertRefundedAsync(string file, IEnumerable<StoredBet> voided, CancellationToken ct)
    {
        await using var c = new SqliteConnection($"Data Source={file}");
        foreach (var bet in voided)
        {
            var refunds = (await c.QueryAsync<long>(new CommandDefinition(
                "SELECT amount FROM ledger WHERE bet_id = @id AND kind = 'refund'", new { id = bet.Id }, cancellationToken: ct))).AsList();
            Assert.Equal([(long)Stake], refunds);
        }
    }
}
