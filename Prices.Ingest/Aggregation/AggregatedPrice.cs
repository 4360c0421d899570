using Prices.Ingest.Exchanges;

namespace Prices.Ingest.Aggregation;

public static class PriceStatus
{
    /// <summary>At least the minimum number of fresh, agreeing sources.</summary>
    public const string Ok = "ok";

    /// <summary>Too few usable sources; consumers must not trade on this price.</summary>
    public const string Stale = "stale";
}

/// <summary>The result of one aggregation: the median (null when no source is usable at all) and the ticks behind it.</summary>
public sealed record AggregatedPrice(decimal? Price, string Status, IReadOnlyList<PriceTick> Sources, IReadOnlyList<RejectedSource> Rejected);

public readonly record struct RejectedSource(PriceTick Tick, string Reason);
