using System.Diagnostics.Metrics;

namespace Prices.Ingest;

/// <summary>The "Prices.Ingest" meter: what arrives, what the median leaves out, and how long aggregation and publishing take.</summary>
public sealed class PricesMetrics
{
    public const string MeterName = "Prices.Ingest";

    private readonly Counter<long> _ticks;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _dropped;
    private readonly Counter<long> _malformed;
    private readonly Counter<long> _gaps;
    private readonly Counter<long> _reconnects;
    private readonly Counter<long> _published;
    private readonly Counter<long> _publishFailures;
    private readonly Counter<long> _backfilled;
    private readonly Counter<long> _backlogDropped;
    private readonly Histogram<double> _aggregation;
    private readonly Histogram<double> _publish;
    private readonly Histogram<double> _historyGap;

    public PricesMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _ticks = meter.CreateCounter<long>("prices.ticks", "{tick}", "Price ticks received, per source.");
        _rejected = meter.CreateCounter<long>("prices.ticks.rejected", "{tick}", "Ticks left out of the median (stale or outlier), per source.");
        _dropped = meter.CreateCounter<long>("prices.ticks.dropped", "{tick}", "Ticks dropped unread because aggregation fell 10,000 ticks behind.");
        _malformed = meter.CreateCounter<long>("prices.frames.malformed", "{frame}", "Exchange frames that could not be parsed and were skipped.");
        _gaps = meter.CreateCounter<long>("prices.sequence.gaps", "{gap}", "Gaps in an exchange's sequence numbers.");
        _reconnects = meter.CreateCounter<long>("prices.reconnects", "{reconnect}", "Exchange connections lost and reopened.");
        _published = meter.CreateCounter<long>("prices.published", "{message}", "Aggregated prices written to Redis.");
        _publishFailures = meter.CreateCounter<long>("prices.publish.failures", "{message}", "Aggregated prices that could not be written.");
        _backfilled = meter.CreateCounter<long>("prices.backfilled", "{message}", "Prices written to the history late, with their own timestamps, after an outage or a hand-over.");
        _backlogDropped = meter.CreateCounter<long>("prices.backlog.dropped", "{message}", "Unwritten prices dropped from the full backlog while Redis took none: history lost.");
        _aggregation = meter.CreateHistogram<double>("prices.aggregation.duration", "ms", "From a tick's arrival to its aggregated price.");
        _publish = meter.CreateHistogram<double>("prices.publish.duration", "ms", "The Redis round trip that writes and publishes one price.");
        _historyGap = meter.CreateHistogram<double>("prices.history.gap", "ms", "A hole left in the price history (after back-fill) when writing resumed.");
    }

    public void Tick(string source) => _ticks.Add(1, new KeyValuePair<string, object?>("source", source));

    public void Rejected(string source, string reason) =>
        _rejected.Add(1, new KeyValuePair<string, object?>("source", source), new KeyValuePair<string, object?>("reason", reason));

    public void Dropped(string? source) => _dropped.Add(1, new KeyValuePair<string, object?>("source", source ?? "cadence"));

    public void Malformed(string source) => _malformed.Add(1, new KeyValuePair<string, object?>("source", source));

    public void SequenceGap(string source, long missing) => _gaps.Add(missing, new KeyValuePair<string, object?>("source", source));

    public void Reconnect(string source) => _reconnects.Add(1, new KeyValuePair<string, object?>("source", source));

    public void Published(string status) => _published.Add(1, new KeyValuePair<string, object?>("status", status));

    public void PublishFailed() => _publishFailures.Add(1);

    public void Backfilled(int count) => _backfilled.Add(count);

    public void BacklogDropped() => _backlogDropped.Add(1);

    public void AggregationDuration(TimeSpan elapsed) => _aggregation.Record(elapsed.TotalMilliseconds);

    public void PublishDuration(TimeSpan elapsed) => _publish.Record(elapsed.TotalMilliseconds);

    public void HistoryGap(TimeSpan gap) => _historyGap.Record(gap.TotalMilliseconds);
}
