namespace Platform.Hosting.Dashboard.Telemetry;

public sealed record TelemetryResourceInfo(string Name, IReadOnlyList<string> Instances, IReadOnlyList<Attr> Attributes, int Spans, int Logs, int Instruments);

public sealed record LogQuery(string? Resource = null, int? MinSeverity = null, string? Text = null, string? TraceId = null, long AfterId = 0, int Limit = 500);

public sealed record TraceSummary(string TraceId, string Name, string RootService, IReadOnlyList<string> Services, long StartUnixNano, double DurationMs, int SpanCount, int ErrorCount);

public sealed record TraceDetail(TraceSummary Summary, IReadOnlyList<SpanData> Spans);

public sealed record InstrumentInfo(string Name, string Description, string Unit, string Kind, string Scope, int SeriesCount);

public sealed record SeriesData(string Instance, IReadOnlyList<Attr> Attributes, IReadOnlyList<MetricPoint> Points);

public sealed record InstrumentData(InstrumentInfo Instrument, IReadOnlyList<SeriesData> Series);

public sealed partial class TelemetryStore
{
    public IReadOnlyList<TelemetryResourceInfo> GetResources()
    {
        lock (_gate)
        {
            return [.. _resources.Values.OrderBy(r => r.Service, StringComparer.Ordinal).Select(r => new TelemetryResourceInfo(
                r.Service, [.. r.Instances.Order(StringComparer.Ordinal)], r.Attributes, r.Spans.Count, r.Logs.Count, r.Instruments.Count))];
        }
    }

    /// <summary>Newest last; at most <see cref="LogQuery.Limit"/> of the newest matches.</summary>
    public IReadOnlyList<LogData> GetLogs(LogQuery query)
    {
        lock (_gate)
        {
            var sources = query.Resource is { Length: > 0 } name
                ? _resources.TryGetValue(name, out var one) ? [one] : []
                : _resources.Values.ToList();
            var matches = sources.SelectMany(r => r.Logs)
                .Where(l => l.Id > query.AfterId)
                .Where(l => query.MinSeverity is not { } min || l.SeverityNumber >= min)
                .Where(l => query.TraceId is not { Length: > 0 } trace || l.TraceId == trace)
                .Where(l => query.Text is not { Length: > 0 } text || Matches(l, text))
                .OrderByDescending(l => l.Id)
                .Take(Math.Clamp(query.Limit, 1, 5_000))
                .ToList();
            matches.Reverse();
            return matches;
        }
    }

    private static bool Matches(LogData log, string text) =>
        log.Body.Contains(text, StringComparison.OrdinalIgnoreCase)
        || log.Scope.Contains(text, StringComparison.OrdinalIgnoreCase)
        || log.Attributes.Any(a => a.Value.Contains(text, StringComparison.OrdinalIgnoreCase));

    /// <summary>Newest first. <paramref name="resource"/> keeps traces with at least one span of that resource.</summary>
    public IReadOnlyList<TraceSummary> GetTraces(string? resource = null, string? text = null, bool errorsOnly = false, int limit = 200)
    {
        lock (_gate)
        {
            return [.. _traces.Values
                .Where(spans => resource is not { Length: > 0 } || spans.Exists(s => s.Service == resource))
                .Select(Summarize)
                .Where(t => !errorsOnly || t.ErrorCount > 0)
                .Where(t => text is not { Length: > 0 } || t.Name.Contains(text, StringComparison.OrdinalIgnoreCase) || t.TraceId.StartsWith(text, StringComparison.OrdinalIgnoreCase))
                .OrderByDescending(t => t.StartUnixNano)
                .Take(Math.Clamp(limit, 1, 2_000))];
        }
    }

    public TraceDetail? GetTrace(string traceId)
    {
        lock (_gate)
        {
            if (!_traces.TryGetValue(traceId.ToLowerInvariant(), out var spans))
            {
                return null;
            }

            return new TraceDetail(Summarize(spans), [.. spans.OrderBy(s => s.StartUnixNano)]);
        }
    }

    private static TraceSummary Summarize(List<SpanData> spans)
    {
        var ids = spans.Select(s => s.SpanId).ToHashSet(StringComparer.Ordinal);
        // The root is the span without a parent, or (while the root has not arrived) the earliest orphan.
        var root = spans.Where(s => s.ParentSpanId.Length == 0).MinBy(s => s.StartUnixNano)
            ?? spans.Where(s => !ids.Contains(s.ParentSpanId)).MinBy(s => s.StartUnixNano)
            ?? spans[0];
        var start = spans.Min(s => s.StartUnixNano);
        var end = spans.Max(s => s.EndUnixNano);
        return new TraceSummary(root.TraceId, root.Name, root.Service,
            [.. spans.Select(s => s.Service).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
            start, (end - start) / 1_000_000.0, spans.Count, spans.Count(s => s.Status == SpanStatusCode.Error));
    }

    public IReadOnlyList<InstrumentInfo> GetInstruments(string resource)
    {
        lock (_gate)
        {
            return _resources.TryGetValue(resource, out var r)
                ? [.. r.Instruments.Values.OrderBy(i => i.Name, StringComparer.Ordinal).Select(Info)]
                : [];
        }
    }

    public InstrumentData? GetInstrument(string resource, string name)
    {
        lock (_gate)
        {
            if (!_resources.TryGetValue(resource, out var r))
            {
                return null;
            }

            var instrument = r.Instruments.Values.FirstOrDefault(i => i.Name == name);
            return instrument is null ? null : new InstrumentData(Info(instrument),
                [.. instrument.Series.Values.Select(s => new SeriesData(s.Instance, s.Attributes, [.. s.Points]))]);
        }
    }

    private static InstrumentInfo Info(Instrument i) => new(i.Name, i.Description, i.Unit, i.Kind.ToString(), i.Scope, i.Series.Count);
}
