namespace Platform.Hosting.Dashboard.Telemetry;

/// <summary>
/// The dashboard's telemetry, bounded per resource. A batch is added under one lock, so a reader never sees half of an
/// export request. Spans are also indexed by trace id so a trace is assembled across services.
/// </summary>
public sealed partial class TelemetryStore
{
    private readonly Lock _gate = new();
    private readonly TelemetryStoreOptions _options;
    private readonly ChangeFeed _feed;
    private readonly Dictionary<string, ResourceTelemetry> _resources = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<SpanData>> _traces = new(StringComparer.Ordinal);
    private long _nextLogId;

    public TelemetryStore(TelemetryStoreOptions options, ChangeFeed feed)
    {
        _options = options;
        _feed = feed;
    }

    /// <summary>Called with every batch after it is stored (the SQLite writer hooks in here).</summary>
    internal Action<TelemetryBatch>? Stored { get; set; }

    public long DroppedSeriesPoints { get; private set; }

    public void Add(TelemetryBatch batch, bool notify = true)
    {
        HashSet<string>? changedSpans = null, changedLogs = null, changedMetrics = null;
        lock (_gate)
        {
            foreach (var source in batch.Sources)
            {
                var resource = GetResource(source.Service);
                resource.Instances.Add(source.Instance);
                resource.Attributes = source.Attributes;
            }

            foreach (var span in batch.Spans)
            {
                AddSpan(GetResource(span.Service), span);
                (changedSpans ??= []).Add(span.Service);
            }

            foreach (var log in batch.Logs)
            {
                var resource = GetResource(log.Service);
                if (log.Id == 0)
                {
                    log.Id = ++_nextLogId;
                }
                else
                {
                    _nextLogId = Math.Max(_nextLogId, log.Id);
                }

                resource.Logs.Enqueue(log);
                if (resource.Logs.Count > _options.MaxLogsPerResource)
                {
                    resource.Logs.Dequeue();
                }

                (changedLogs ??= []).Add(log.Service);
            }

            foreach (var point in batch.Points)
            {
                AddPoint(GetResource(point.Service), point);
                (changedMetrics ??= []).Add(point.Service);
            }
        }

        Stored?.Invoke(batch);
        if (!notify)
        {
            return;
        }

        Notify("spans", changedSpans);
        Notify("logs", changedLogs);
        Notify("metrics", changedMetrics);
    }

    private void Notify(string kind, HashSet<string>? resources)
    {
        foreach (var resource in resources ?? [])
        {
            _feed.Publish(new DashboardEvent(kind, resource));
        }
    }

    private ResourceTelemetry GetResource(string service)
    {
        if (!_resources.TryGetValue(service, out var resource))
        {
            resource = new ResourceTelemetry(service);
            _resources.Add(service, resource);
        }

        return resource;
    }

    private void AddSpan(ResourceTelemetry resource, SpanData span)
    {
        resource.Spans.Enqueue(span);
        if (!_traces.TryGetValue(span.TraceId, out var trace))
        {
            trace = [];
            _traces.Add(span.TraceId, trace);
        }

        trace.Add(span);
        if (resource.Spans.Count > _options.MaxSpansPerResource)
        {
            var evicted = resource.Spans.Dequeue();
            if (_traces.TryGetValue(evicted.TraceId, out var evictedTrace))
            {
                evictedTrace.Remove(evicted);
                if (evictedTrace.Count == 0)
                {
                    _traces.Remove(evicted.TraceId);
                }
            }
        }
    }

    private void AddPoint(ResourceTelemetry resource, MetricPoint point)
    {
        var instrumentKey = point.Scope + "\n" + point.Name;
        if (!resource.Instruments.TryGetValue(instrumentKey, out var instrument))
        {
            instrument = new Instrument(point.Scope, point.Name, point.Description, point.Unit, point.Kind);
            resource.Instruments.Add(instrumentKey, instrument);
        }

        var seriesKey = point.Instance + "\n" + string.Join("\n", point.Attributes.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => a.Key + "=" + a.Value));
        if (!instrument.Series.TryGetValue(seriesKey, out var series))
        {
            if (resource.SeriesCount >= _options.MaxSeriesPerResource)
            {
                DroppedSeriesPoints++;
                return;
            }

            series = new Series(point.Instance, point.Attributes);
            instrument.Series.Add(seriesKey, series);
            resource.SeriesCount++;
        }

        // The series keeps the attributes once; its points share them.
        series.Points.Enqueue(point with { Attributes = series.Attributes });
        if (series.Points.Count > _options.MaxPointsPerSeries)
        {
            series.Points.Dequeue();
        }
    }

    private sealed class ResourceTelemetry(string service)
    {
        public string Service { get; } = service;
        public HashSet<string> Instances { get; } = new(StringComparer.Ordinal);
        public IReadOnlyList<Attr> Attributes { get; set; } = [];
        public Queue<SpanData> Spans { get; } = new();
        public Queue<LogData> Logs { get; } = new();
        public Dictionary<string, Instrument> Instruments { get; } = new(StringComparer.Ordinal);
        public int SeriesCount { get; set; }
    }

    private sealed record Instrument(string Scope, string Name, string Description, string Unit, MetricKind Kind)
    {
        public Dictionary<string, Series> Series { get; } = new(StringComparer.Ordinal);
    }

    private sealed record Series(string Instance, IReadOnlyList<Attr> Attributes)
    {
        public Queue<MetricPoint> Points { get; } = new();
    }
}
