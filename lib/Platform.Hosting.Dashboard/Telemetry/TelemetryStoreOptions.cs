namespace Platform.Hosting.Dashboard.Telemetry;

/// <summary>Bounds of the in-memory telemetry (per resource, i.e. per <c>service.name</c>); the oldest items go first.</summary>
public sealed class TelemetryStoreOptions
{
    public int MaxSpansPerResource { get; set; } = 10_000;
    public int MaxLogsPerResource { get; set; } = 10_000;

    /// <summary>Points kept per time series (one instrument, one attribute set, one replica).</summary>
    public int MaxPointsPerSeries { get; set; } = 300;

    /// <summary>Series kept per resource; points of further series are dropped and counted.</summary>
    public int MaxSeriesPerResource { get; set; } = 1_000;

    /// <summary>When set, telemetry is also written to this SQLite file and reloaded from it at start.</summary>
    public string? SqlitePath { get; set; }
}
