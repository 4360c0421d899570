using Microsoft.Extensions.Options;
using Prices.Ingest.Exchanges;

namespace Prices.Ingest.Aggregation;

/// <summary>
/// Keeps the latest tick per source and computes the median of the fresh ones. A source older than its own staleness
/// limit, or further from the first median than <see cref="AggregationOptions.MaxDeviationBps"/>, is left out and the
/// median is taken again over the rest. Not thread-safe: one aggregation loop owns it.
/// </summary>
public sealed class PriceAggregator(IOptions<AggregationOptions> options, PricesMetrics? metrics = null)
{
    public const string ReasonStale = "stale";
    public const string ReasonOutlier = "outlier";

    private readonly AggregationOptions _options = options.Value;
    private readonly Dictionary<string, Entry> _latest = new(StringComparer.Ordinal);

    public void Add(in PriceTick tick)
    {
        // One entry per source, updated in place: no allocation per tick.
        if (_latest.TryGetValue(tick.Source, out var entry))
        {
            entry.Tick = tick;
            entry.Reported = false;
        }
        else
        {
            _latest[tick.Source] = new Entry(tick);
        }
    }

    public AggregatedPrice Aggregate(long nowMs)
    {
        var fresh = new List<PriceTick>(_latest.Count);
        var rejected = new List<RejectedSource>();
        foreach (var entry in _latest.Values)
        {
            if (nowMs - entry.Tick.ReceivedMs > (long)entry.Tick.MaxAge.TotalMilliseconds)
            {
                Reject(entry, ReasonStale, rejected);
            }
            else
            {
                fresh.Add(entry.Tick);
            }
        }

        if (fresh.Count == 0)
        {
            return new AggregatedPrice(null, PriceStatus.Stale, [], rejected);
        }

        var first = Median(fresh);
        var used = new List<PriceTick>(fresh.Count);
        foreach (var tick in fresh)
        {
            if (Math.Abs(tick.Price - first) * 10_000m / first > _options.MaxDeviationBps)
            {
                Reject(_latest[tick.Source], ReasonOutlier, rejected);
            }
            else
            {
                used.Add(tick);
            }
        }

        // When every source disagrees with the middle, nothing is trustworthy: report the raw median as stale.
        var price = used.Count > 0 ? Median(used) : first;
        used.Sort(static (a, b) => string.CompareOrdinal(a.Source, b.Source));
        var status = used.Count >= _options.MinSources ? PriceStatus.Ok : PriceStatus.Stale;
        return new AggregatedPrice(price, status, used, rejected);
    }

    /// <summary>Counts each tick's rejection once, however many aggregations leave it out.</summary>
    private void Reject(Entry entry, string reason, List<RejectedSource> rejected)
    {
        rejected.Add(new RejectedSource(entry.Tick, reason));
        if (!entry.Reported)
        {
            entry.Reported = true;
            metrics?.Rejected(entry.Tick.Source, reason);
        }
    }

    internal static decimal Median(List<PriceTick> ticks)
    {
        var prices = new decimal[ticks.Count];
        for (var i = 0; i < prices.Length; i++)
        {
            prices[i] = ticks[i].Price;
        }

        Array.Sort(prices);
        var middle = prices.Length / 2;
        return prices.Length % 2 == 1 ? prices[middle] : (prices[middle - 1] + prices[middle]) / 2;
    }

    private sealed class Entry(PriceTick tick)
    {
        public PriceTick Tick { get; set; } = tick;

        public bool Reported { get; set; }
    }
}
