using System.Globalization;
using System.Text.Json;
using Bets.Api.Data;
using Bets.Api.Prices;
using Bets.Api.Wallets;
using Dapper;

namespace Bets.Api.Resolution;

public enum Verdict { Won, Lost, Void }

/// <summary>What the history says about one window; stored with the bet as its evidence.</summary>
/// <param name="GapFrom">Where the longest stretch without a price starts (unix ms).</param>
/// <param name="GapTo">Where it ends: the next tick, or the window's end.</param>
public sealed record Evidence(
    Verdict Verdict, int Ticks, decimal? Min, decimal? Max, decimal? PriceAtStart, long From, long To, long MaxGapMs, string Reason,
    long? GapFrom = null, long? GapTo = null);

/// <summary>Decides won/lost/void for a band and window from the price history.</summary>
public static class Outcome
{
    /// <summary>
    /// Whether a window can be decided: the history has a tick at or after its end, or the wait is over. Prices.Ingest
    /// back-fills an outage in the same atomic write as its next live price, so once the history reaches past the end,
    /// every tick of the window that will ever be there is there: a gap seen then is real, and one filled later is no
    /// gap. Deciding sooner could void (or lose) a bet on a hole that is about to be filled.
    /// </summary>
    /// <param name="newest">The newest timestamp in the whole history; null when it is empty.</param>
    public static bool Ready(long end, long? newest, long now, long historyWaitMs) => newest >= end || now >= end + historyWaitMs;

    /// <param name="ticks">Ticks from (start - tolerance) to end, ascending.</param>
    public static Evidence Decide(decimal low, decimal high, long start, long end, IReadOnlyList<PriceTick> ticks, long gapToleranceMs)
    {
        PriceTick? before = null;
        var inside = new List<PriceTick>();
        foreach (var t in ticks)
        {
            if (t.Timestamp <= start)
            {
                before = t;
            }
            else if (t.Timestamp <= end)
            {
                inside.Add(t);
            }
        }
        // The path is continuous between ticks, so it touched [low, high] iff min <= high and max >= low over the window,
        // counting the price in force at the start.
        var prices = (before is { } b ? inside.Prepend(b) : inside).Select(t => t.Price).ToList();
        var prev = before?.Timestamp ?? start;
        long maxGap = 0, gapFrom = start, gapTo = start;
        foreach (var t in inside.Append(new PriceTick(end, 0)))
        {
            if (t.Timestamp - prev > maxGap)
            {
                (maxGap, gapFrom, gapTo) = (t.Timestamp - prev, prev, t.Timestamp);
            }
            prev = t.Timestamp;
        }
        // Ticks go missing when Redis evicts the history under memory pressure (allkeys-lru drops the whole sorted set,
        // and the writer starts a new one), or when nothing was written: either way the window is not decided on what is
        // left, and the evidence names the hole.
        if (prices.Count == 0)
        {
            return new Evidence(Verdict.Void, 0, null, null, null, start, end, maxGap,
                $"no price history between {Iso(start - gapToleranceMs)} and {Iso(end)} (evicted from Redis or never written)", gapFrom, gapTo);
        }
        var min = prices.Min();
        var max = prices.Max();
        if (maxGap > gapToleranceMs)
        {
            return new Evidence(Verdict.Void, prices.Count, min, max, before?.Price, start, end, maxGap,
                $"the price history has a gap of {maxGap} ms from {Iso(gapFrom)} to {Iso(gapTo)}, over the tolerance of {gapToleranceMs} ms (evicted from Redis or never written)",
                gapFrom, gapTo);
        }
        var touched = min <= high && max >= low;
        return new Evidence(touched ? Verdict.Won : Verdict.Lost, prices.Count, min, max, before?.Price, start, end, maxGap,
            touched ? "the price touched the band" : "the price stayed outside the band", gapFrom, gapTo);
    }

    private static string Iso(long unixMs) =>
        DateTimeOffset.FromUnixTimeMilliseconds(unixMs).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}

/// <summary>
/// Resolves bets whose window has closed. Each bet's update is conditional on status = 'open' inside a BEGIN IMMEDIATE
/// transaction that also credits the payout, and the ledger's unique (bet_id, kind) backs that up: a bet is settled
/// exactly once whatever the number of resolver instances, restarts or retries.
/// </summary>
public sealed class BetResolver(BetsDatabase db, IPriceHistory history, TimeProvider time)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    private sealed record DueBet(string Id, string Wallet, string Cell, string PriceLow, string PriceHigh, long WindowStart, long WindowEnd, long Stake, long PotentialPayout);

    /// <summary>
    /// Resolves up to <paramref name="batch"/> due bets whose window is <see cref="Outcome.Ready"/>; returns how many this
    /// call settled. The others stay open for a later pass.
    /// </summary>
    public async Task<int> ResolveDueAsync(int settleDelayMs, long gapToleranceMs, long historyWaitMs, int batch = 500, CancellationToken ct = default)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        List<DueBet> due;
        await using (var c = await db.OpenAsync(ct))
        {
            due = (await c.QueryAsync<DueBet>(
                """
                SELECT id AS Id, wallet AS Wallet, cell AS Cell, price_low AS PriceLow, price_high AS PriceHigh, window_start AS WindowStart,
                       window_end AS WindowEnd, stake AS Stake, potential_payout AS PotentialPayout
                FROM bets WHERE status = 'open' AND window_end <= @cutoff ORDER BY window_end LIMIT @batch
                """, new { cutoff = now - settleDelayMs, batch })).AsList();
        }
        if (due.Count == 0)
        {
            return 0;
        }

        var newest = await history.NewestAsync(ct);
        var settled = 0;
        foreach (var window in due.GroupBy(b => (b.WindowStart, b.WindowEnd)))
        {
            if (!Outcome.Ready(window.Key.WindowEnd, newest, now, historyWaitMs))
            {
                continue;
            }

            var ticks = await history.RangeAsync(window.Key.WindowStart - gapToleranceMs, window.Key.WindowEnd, ct);
            var decisions = window.Select(b => (Bet: b, Evidence: Outcome.Decide(Dec(b.PriceLow), Dec(b.PriceHigh), b.WindowStart, b.WindowEnd, ticks, gapToleranceMs))).ToList();
            settled += await db.WriteAsync(async (c, tx) =>
            {
                var count = 0;
                var at = time.GetUtcNow().ToUnixTimeMilliseconds();
                foreach (var (bet, evidence) in decisions)
                {
                    var (status, payout, kind) = evidence.Verdict switch
                    {
                        Verdict.Won => ("won", bet.PotentialPayout, "payout"),
                        Verdict.Void => ("void", bet.Stake, "refund"),
                        _ => ("lost", 0L, (string?)null),
                    };
                    var changed = await c.ExecuteAsync(
                        "UPDATE bets SET status = @status, payout = @payout, evidence = @evidence, resolved_at = @at WHERE id = @id AND status = 'open'",
                        new { status, payout, evidence = JsonSerializer.Serialize(evidence, Json), at, id = bet.Id }, tx);
                    if (changed != 1)
                    {
                        continue; // another instance got there first
                    }

                    await c.ExecuteAsync("UPDATE cell_exposure SET exposure = MAX(0, exposure - @extra) WHERE cell = @cell",
                        new { extra = bet.PotentialPayout - bet.Stake, cell = bet.Cell }, tx);
                    if (kind is not null && payout > 0)
                    {
                        await WalletLedger.CreditAsync(c, tx, bet.Wallet, payout, kind, bet.Id, at);
                    }
                    count++;
                }
                return count;
            }, ct);
        }
        return settled;
    }

    private static decimal Dec(string s) => decimal.Parse(s, NumberStyles.Number, CultureInfo.InvariantCulture);
}
