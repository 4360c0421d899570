using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Platform.Redis;

/// <summary>The ActivitySource and Meter of the client, both named <c>Platform.Redis</c>.</summary>
public static class RedisTelemetry
{
    public const string ActivitySourceName = "Platform.Redis";
    public const string MeterName = "Platform.Redis";

    internal static readonly ActivitySource Source = new(ActivitySourceName);
    internal static readonly Meter Meter = new(MeterName);

    private static readonly Histogram<double> Duration = Meter.CreateHistogram<double>(
        "db.client.operation.duration", unit: "s", description: "Duration of Redis commands");

    private static readonly Counter<long> Errors = Meter.CreateCounter<long>(
        "redis.client.errors", description: "Commands that completed with an error or a timeout");

    internal static readonly Counter<long> Reconnects = Meter.CreateCounter<long>(
        "redis.client.reconnects", description: "Connections re-established after a failure");

    internal static readonly Counter<long> Failovers = Meter.CreateCounter<long>(
        "redis.client.failovers", description: "Master changes followed by the client");

    internal static Activity? StartCommand(string command)
    {
        var a = Source.StartActivity(command, ActivityKind.Client);
        a?.SetTag("db.system.name", "redis");
        a?.SetTag("db.operation.name", command);
        return a;
    }

    internal static void RecordCommand(string command, long startTimestamp, Exception? error)
    {
        if (Duration.Enabled)
        {
            Duration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, new KeyValuePair<string, object?>("db.operation.name", command));
        }

        if (error is not null && Errors.Enabled)
        {
            Errors.Add(1, new KeyValuePair<string, object?>("error.type", error.GetType().Name));
        }
    }
}
