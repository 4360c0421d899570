namespace Platform.Hosting.Dashboard.Telemetry;

/// <summary>An attribute with its value rendered as text (arrays and maps as JSON-like text).</summary>
public readonly record struct Attr(string Key, string Value);

/// <summary>The OTLP resource a batch came from: <c>service.name</c> is the dashboard resource, <c>service.instance.id</c> the replica.</summary>
public sealed record TelemetrySource(string Service, string Instance, IReadOnlyList<Attr> Attributes);

public enum SpanKind { Unspecified, Internal, Server, Client, Producer, Consumer }

public enum SpanStatusCode { Unset, Ok, Error }

public sealed record SpanEvent(long TimeUnixNano, string Name, IReadOnlyList<Attr> Attributes);

public sealed record SpanLink(string TraceId, string SpanId, IReadOnlyList<Attr> Attributes);

public sealed record SpanData(
    string TraceId,
    string SpanId,
    string ParentSpanId,
    string Name,
    SpanKind Kind,
    long StartUnixNano,
    long EndUnixNano,
    SpanStatusCode Status,
    string StatusMessage,
    string Service,
    string Instance,
    string Scope,
    IReadOnlyList<Attr> Attributes,
    IReadOnlyList<SpanEvent> Events,
    IReadOnlyList<SpanLink> Links)
{
    public double DurationMs => (EndUnixNano - StartUnixNano) / 1_000_000.0;
}

public sealed record LogData(
    long TimeUnixNano,
    int SeverityNumber,
    string SeverityText,
    string Body,
    string TraceId,
    string SpanId,
    string Service,
    string Instance,
    string Scope,
    string EventName,
    IReadOnlyList<Attr> Attributes)
{
    /// <summary>Assigned by the store: increasing, so clients can ask for "everything after id N".</summary>
    public long Id { get; set; }

    /// <summary>The OTLP severity number range (1-4 trace, 5-8 debug, 9-12 info, 13-16 warn, 17-20 error, 21-24 fatal).</summary>
    public string Level => SeverityNumber switch
    {
        >= 21 => "Critical",
        >= 17 => "Error",
        >= 13 => "Warning",
        >= 9 => "Information",
        >= 5 => "Debug",
        >= 1 => "Trace",
        _ => SeverityText.Length > 0 ? SeverityText : "Unspecified",
    };
}

public enum MetricKind { Gauge, Sum, Histogram, ExponentialHistogram, Summary }

/// <summary>
/// One data point. Gauge and Sum carry <see cref="Value"/>; histograms carry Count, Sum (in <see cref="Value"/>),
/// Min/Max and buckets; exponential histograms their scale and offset buckets.
/// </summary>
public sealed record MetricPoint(
    string Service,
    string Instance,
    string Scope,
    string Name,
    string Description,
    string Unit,
    MetricKind Kind,
    bool IsMonotonic,
    int Temporality,
    IReadOnlyList<Attr> Attributes,
    long StartUnixNano,
    long TimeUnixNano,
    double Value,
    ulong Count,
    double? Min,
    double? Max,
    IReadOnlyList<double>? ExplicitBounds,
    IReadOnlyList<ulong>? BucketCounts,
    int Scale = 0,
    ulong ZeroCount = 0,
    int PositiveOffset = 0,
    IReadOnlyList<ulong>? PositiveCounts = null,
    int NegativeOffset = 0,
    IReadOnlyList<ulong>? NegativeCounts = null);

/// <summary>Everything one export request carried, decoded completely before anything is stored.</summary>
public sealed class TelemetryBatch
{
    public List<TelemetrySource> Sources { get; } = [];
    public List<SpanData> Spans { get; } = [];
    public List<LogData> Logs { get; } = [];
    public List<MetricPoint> Points { get; } = [];
}
