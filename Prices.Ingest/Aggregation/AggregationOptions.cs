using System.ComponentModel.DataAnnotations;

namespace Prices.Ingest.Aggregation;

public sealed class AggregationOptions
{
    /// <summary>A source further than this from the median of the fresh sources (in basis points) is left out.</summary>
    [Range(typeof(decimal), "0.01", "10000")]
    public decimal MaxDeviationBps { get; set; } = 100m;

    /// <summary>Fewer usable sources than this makes the price "stale".</summary>
    [Range(1, 64)]
    public int MinSources { get; set; } = 2;

    /// <summary>An aggregated price is emitted at least this often, changed or not (the fixed cadence).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan EmitInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Changes are emitted at most this often (zero: on every change). Bounds the history's size at high tick rates.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan MinEmitInterval { get; set; } = TimeSpan.FromMilliseconds(250);
}
