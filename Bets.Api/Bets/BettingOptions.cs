using System.ComponentModel.DataAnnotations;

namespace Bets.Api.Bets;

/// <summary>Placement and settlement limits that are not pricing (section "Betting").</summary>
public sealed class BettingOptions
{
    public const string Section = "Betting";

    [Range(1, 100_000)] public int RateLimitPerMinute { get; set; } = 120;
    /// <summary>Resolution waits this long after a window closes so the last ticks are in the history.</summary>
    [Range(0, 600)] public int SettleDelaySeconds { get; set; } = 2;
    /// <summary>A gap in the price history longer than this inside a window voids and refunds the bet.</summary>
    [Range(1, 3600)] public int GapToleranceSeconds { get; set; } = 10;
    /// <summary>
    /// A window the price history has not reached yet (no tick at or after its end: the feed is down, or Prices.Ingest is
    /// about to back-fill an outage) waits up to this long after its end; then it is decided on what there is, and a
    /// gap voids it. Ten minutes: as long as Prices.Ingest keeps unwritten prices by default.
    /// </summary>
    [Range(0, 86_400)] public int HistoryWaitSeconds { get; set; } = 600;
    [Range(50, 60_000)] public int ResolutionIntervalMs { get; set; } = 500;
}
