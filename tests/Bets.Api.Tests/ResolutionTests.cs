using Bets.Api.Bets;
using Bets.Api.Data;
using Bets.Api.Grid;
using Bets.Api.Prices;
using Bets.Api.Resolution;
using Bets.Api.Wallets;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Bets.Api.Tests;

public sealed class ResolutionTests(BetsFixture fixture)
{
    // Synthetic history lives far in the past so it never mixes with the live ticks other tests publish.
    private static readonly DateTimeOffset T0 = new(2020, 3, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task EveryBetIsResolvedExactlyOnceAcrossTwoInstancesAndARestart()
    {
        var ct = TestContext.Current.CancellationToken;
        var file = Path.Combine(fixture.Folder, "resolution.db");
        var time = new FixedTime(T0);
        var options = new GridOptions { BandWidth = 10, MaxCellExposure = long.MaxValue / 4 };
        using var db1 = new BetsDatabase($"Data Source={file}");
        using var db2 = new BetsDatabase($"Data Source={file}");
        await db1.MigrateAsync(ct);
        var wallets = new WalletLedger(db1, time);
        var store = Placements.For(db1, time, fixture.Client);

        // Path: 60,000 flat, then window 1 (T0+60 s..T0+90 s) climbs to 60,035; window 2 (T0+90..120) has a 20 s hole.
        var t0 = T0.ToUnixTimeMilliseconds();
        var db = fixture.Client.GetDatabase();
        for (var s = 0; s <= 130; s++)
        {
            if (s is > 95 and < 116)
            {
                continue;
            }

            var price = s < 60 ? 60_000m : s < 90 ? 60_000m + (s - 60) * 35m / 30m : 60_010m;
            await db.SortedSetAddAsync("prices:btc:usd:ts", $"{price}:synthetic:{s}", t0 + s * 1000L).WaitAsync(Timeout, ct);
        }

        var expected = new Dictionary<string, string>();
        var balances = new Dictionary<string, long>();
        for (var w = 0; w < 6; w++)
        {
            var wallet = $"0xW{w}";
            await wallets.FaucetAsync(wallet, 100_000, ct);
            balances[wallet] = 100_000;
            foreach (var (band, start, outcome) in new[] { (6003, t0 + 60_000, "won"), (6010, t0 + 60_000, "lost"), (5995, t0 + 60_000, "lost"), (6001, t0 + 90_000, "void") })
            {
                var cell = GridCalculator.PriceCell(60_000m, GridCalculator.PerSecond(0.6), t0, band, start, options);
                var placed = Assert.IsType<PlaceOutcome.Placed>(await store.PlaceAsync(Placements.Quote(wallet, 1_000, cell, 60_000m, options), ct));
                expected[placed.Bet.Id] = outcome;
                balances[wallet] += outcome switch { "won" => placed.Bet.PotentialPayout, "void" => 1_000, _ => 0 } - 1_000;
            }
        }

        time.Now = T0.AddSeconds(200);
        var history = new RedisPriceHistory(fixture.Client);
        var first = new BetResolver(db1, history, time);
        var second = new BetResolver(db2, history, time);
        // Two instances race over the same due bets, in small batches so they interleave.
        var settled = await Task.WhenAll(
            Task.Run(() => DrainAsync(first), ct), Task.Run(() => DrainAsync(second), ct)).WaitAsync(Timeout, ct);
        // A restarted instance finds nothing left to do.
        Assert.Equal(0, await new BetResolver(new BetsDatabase($"Data Source={file}"), history, time).ResolveDueAsync(2_000, 10_000, 600_000, ct: ct));
        Assert.Equal(expected.Count, settled.Sum());

        await using var c = new SqliteConnection($"Data Source={file}");
        foreach (var (id, outcome) in expected)
        {
            var row = await c.QuerySingleAsync<(string Status, string Evidence)>("SELECT status, evidence FROM bets WHERE id = @id", new { id });
            Assert.Equal(outcome, row.Status);
            Assert.Contains("\"ticks\":", row.Evidence, StringComparison.Ordinal);
            var credits = await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM ledger WHERE bet_id = @id AND kind IN ('payout', 'refund')", new { id });
            Assert.Equal(outcome == "lost" ? 0 : 1, credits);
        }
        foreach (var (wallet, balance) in balances)
        {
            Assert.Equal(balance, (await wallets.GetAsync(wallet, ct)).Balance);
            Assert.Equal(balance, await c.ExecuteScalarAsync<long>("SELECT SUM(amount) FROM ledger WHERE wallet = @wallet", new { wallet }));
        }

        async Task<int> DrainAsync(BetResolver resolver)
        {
            var total = 0;
            int n;
            do
            {
                total += n = await resolver.ResolveDueAsync(2_000, 10_000, 600_000, batch: 3, ct: ct);
            }
            while (n > 0);
            return total;
        }
    }
}
