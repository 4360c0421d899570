using Bets.Api.Prices;
using Bets.Api.Resolution;

namespace Bets.Api.Tests;

public class OutcomeTests
{
    private const long Start = 1_000_000, End = 1_030_000;

    private static List<PriceTick> Path(params (long At, decimal Price)[] points) => points.Select(p => new PriceTick(p.At, p.Price)).ToList();

    [Fact]
    public void ATickInsideTheBandWins()
    {
        var e = Outcome.Decide(100, 101, Start, End, Path((Start - 500, 99), (Start + 5_000, 99.5m), (Start + 10_000, 100.4m), (Start + 20_000, 99), (End - 1_000, 98)), 10_000);
        Assert.Equal(Verdict.Won, e.Verdict);
        Assert.Equal(100.4m, e.Max);
        Assert.Equal(5, e.Ticks);
    }

    [Fact]
    public void JumpingAcrossTheBandBetweenTwoTicksCountsAsATouch()
    {
        var e = Outcome.Decide(100, 101, Start, End, Path((Start, 99), (Start + 8_000, 102), (Start + 16_000, 103), (Start + 24_000, 103)), 10_000);
        Assert.Equal(Verdict.Won, e.Verdict);
    }

    [Fact]
    public void StayingOutsideLoses()
    {
        var e = Outcome.Decide(100, 101, Start, End, Path((Start - 100, 99), (Start + 9_000, 99.9m), (Start + 18_000, 99.5m), (Start + 27_000, 99)), 10_000);
        Assert.Equal(Verdict.Lost, e.Verdict);
        Assert.Equal(99.9m, e.Max);
    }

    [Fact]
    public void TicksOutsideTheWindowDoNotCount()
    {
        var e = Outcome.Decide(100, 101, Start, End, Path((Start - 5_000, 100.5m), (Start - 10, 99), (Start + 9_000, 99), (Start + 18_000, 99), (Start + 27_000, 99), (End + 1, 100.5m)), 10_000);
        Assert.Equal(Verdict.Lost, e.Verdict);
    }

    [Fact]
    public void AGapLongerThanTheToleranceVoids()
    {
        var e = Outcome.Decide(100, 101, Start, End, Path((Start, 99), (Start + 2_000, 99), (Start + 25_000, 99)), 10_000);
        Assert.Equal(Verdict.Void, e.Verdict);
        Assert.Equal(23_000, e.MaxGapMs);
        Assert.Equal(Verdict.Void, Outcome.Decide(100, 101, Start, End, [], 10_000).Verdict);
        // A stale tail (no tick for the last 15 s) is a gap too.
        Assert.Equal(Verdict.Void, Outcome.Decide(100, 101, Start, End, Path((Start, 99), (Start + 10_000, 99), (Start + 15_000, 99)), 10_000).Verdict);
    }

    [Fact]
    public void AGapThatBackFillClosedIsNoGap()
    {
        // An outage from Start + 8 s: the history stops there, and Prices.Ingest back-fills the ticks it made meanwhile.
        var beforeBackfill = Path((Start - 500, 99), (Start + 4_000, 99.5m), (Start + 8_000, 99.6m));
        var backfilled = Path((Start + 12_000, 100.2m), (Start + 16_000, 99.8m), (Start + 20_000, 99.4m), (Start + 24_000, 99.2m), (Start + 28_000, 99.1m), (End, 99));

        Assert.Equal(Verdict.Void, Outcome.Decide(100, 101, Start, End, beforeBackfill, 10_000).Verdict);
        var won = Outcome.Decide(100, 101, Start, End, [.. beforeBackfill, .. backfilled], 10_000);
        Assert.Equal(Verdict.Won, won.Verdict);
        Assert.Equal(4_500, won.MaxGapMs);
        Assert.Equal(Verdict.Lost, Outcome.Decide(101, 102, Start, End, [.. beforeBackfill, .. backfilled], 10_000).Verdict);
    }

    [Fact]
    public void AWindowIsDecidedOnceTheHistoryReachesItsEndOrTheWaitForItIsOver()
    {
        const long wait = 600_000;
        // The feed (or the back-fill) has not reached the end yet: undecided, however the window looks so far.
        Assert.False(Outcome.Ready(End, newest: End - 1, now: End + 2_000, wait));
        Assert.False(Outcome.Ready(End, newest: null, now: End + 2_000, wait));
        // A tick at or after the end: everything the window will ever have is in.
        Assert.True(Outcome.Ready(End, newest: End, now: End + 2_000, wait));
        Assert.True(Outcome.Ready(End, newest: End + 900, now: End + 2_000, wait));
        // Nothing came for the whole wait: decide on what there is.
        Assert.True(Outcome.Ready(End, newest: End - 1, now: End + wait, wait));
        Assert.True(Outcome.Ready(End, newest: null, now: End + wait, wait));
    }

    [Theory]
    [InlineData("""{"price":"60123.45","timestamp":1700000000123,"sources":["a"],"status":"ok"}""", 1700000000123, "60123.45")]
    [InlineData("1700000000123:60123.45:7", 1700000000123, "60123.45")]
    [InlineData("1700000000123:60123.45", 1700000000123, "60123.45")]
    [InlineData("60123.45:host-1a2b3c:42", 1700000000123, "60123.45")]
    public void HistoryMembersParseAsJsonOrColonSeparated(string member, long ts, string price)
    {
        Assert.True(PriceFormat.TryParseHistoryMember(member, ts, out var tick));
        Assert.Equal(new PriceTick(ts, decimal.Parse(price, System.Globalization.CultureInfo.InvariantCulture)), tick);
        Assert.False(PriceFormat.TryParseHistoryMember("garbage", 0, out _));
        Assert.False(PriceFormat.TryParseHistoryMember("{\"price\":\"x\"}", 0, out _));
    }

    [Fact]
    public void EwmaVolatilityOfAConstantVolatilityPathIsCloseToIt()
    {
        var random = new Random(7);
        const double sigma = 2e-4;
        var ticks = new List<PriceTick>();
        var x = Math.Log(60_000.0);
        for (var i = 0; i < 900; i++)
        {
            ticks.Add(new PriceTick(1_000_000 + i * 1000L, (decimal)Math.Exp(x)));
            x += sigma * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        }
        var estimate = Volatility.EwmaPerSecond(ticks, 1_000_000 + 900_000, 0.995);
        Assert.NotNull(estimate);
        Assert.InRange(estimate.Value, sigma * 0.75, sigma * 1.25);
        Assert.Null(Volatility.EwmaPerSecond(ticks.Take(10).ToList(), 1_010_000, 0.995));
    }
}
