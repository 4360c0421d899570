using System.ComponentModel.DataAnnotations;

namespace Bets.Api.Grid;

/// <summary>Grid, pricing and betting limits (section "Grid" in configuration). Money is in minor units (cents).</summary>
public sealed class GridOptions
{
    public const string Section = "Grid";

    /// <summary>Height of one price band in USD; bands are anchored at multiples of it.</summary>
    [Range(0.01, 1_000_000)] public decimal BandWidth { get; set; } = 25m;
    [Range(1, 50)] public int BandsEachSide { get; set; } = 5;
    /// <summary>Length of one time window; windows are aligned to multiples of it (unix time).</summary>
    [Range(1, 3600)] public int WindowSeconds { get; set; } = 30;
    [Range(1, 60)] public int Windows { get; set; } = 8;
    [Range(0.0, 0.5)] public double HouseEdge { get; set; } = 0.05;
    /// <summary>A cell whose window starts sooner than this cannot be bet on.</summary>
    [Range(0, 3600)] public int MinLeadSeconds { get; set; } = 10;
    [Range(1.01, 10_000)] public double MaxMultiplier { get; set; } = 100;
    /// <summary>Cap on the house's possible loss (sum of payouts minus stakes of open bets) on one cell.</summary>
    [Range(1, long.MaxValue)] public long MaxCellExposure { get; set; } = 5_000_000;
    [Range(1, long.MaxValue)] public long MinStake { get; set; } = 100;
    [Range(1, long.MaxValue)] public long MaxStake { get; set; } = 100_000;
    /// <summary>Price granularity of the grid cache key: a grid is only ever served for the bucket it was computed at.</summary>
    [Range(0.0001, 1_000_000)] public decimal PriceBucket { get; set; } = 1m;
    [Range(10, 86_400)] public int VolatilityLookbackSeconds { get; set; } = 900;
    /// <summary>EWMA decay per one-second return (0.995: half-life about 2.3 minutes).</summary>
    [Range(0.5, 0.99999)] public double EwmaLambda { get; set; } = 0.995;
    /// <summary>Annualised volatility used when the history is too short for an estimate.</summary>
    [Range(0.01, 10)] public double DefaultAnnualVolatility { get; set; } = 0.6;
    [Range(0.01, 10)] public double MinAnnualVolatility { get; set; } = 0.1;
    [Range(0.01, 50)] public double MaxAnnualVolatility { get; set; } = 5;
    [Range(1, 3600)] public int GridCacheSeconds { get; set; } = 300;
}
