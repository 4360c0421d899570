using Platform.Hosting.Dashboard.Telemetry;

namespace Platform.Hosting.Dashboard;

/// <summary>Where the dashboard listens and what it keeps. Port 0 means "any free port" (tests).</summary>
public sealed class DashboardOptions
{
    /// <summary>The dashboard listens on loopback only: it shows secrets and runs commands.</summary>
    public string Host { get; set; } = "127.0.0.1";

    public int FrontendPort { get; set; } = 18888;

    /// <summary>OTLP/gRPC (HTTP/2 without TLS); -1 turns it off.</summary>
    public int OtlpGrpcPort { get; set; } = 18889;

    /// <summary>OTLP/HTTP with protobuf; -1 turns it off.</summary>
    public int OtlpHttpPort { get; set; } = 18890;

    /// <summary>The token of the login URL; generated when null.</summary>
    public string? BrowserToken { get; set; }

    /// <summary>The value every exporter must send in <c>x-otlp-api-key</c>; generated when null.</summary>
    public string? OtlpApiKey { get; set; }

    /// <summary>Accept OTLP without an API key (only for a dashboard used on its own).</summary>
    public bool AllowAnonymousOtlp { get; set; }

    public TelemetryStoreOptions Telemetry { get; set; } = new();

    /// <summary>With <c>AddDashboard</c>: keep telemetry in SQLite under the AppHost's state folder (unless a path is set).</summary>
    public bool PersistTelemetry { get; set; } = true;

    internal void Validate()
    {
        static void Port(int port, string name, bool canDisable)
        {
            if (port > 65535 || port < (canDisable ? -1 : 0))
            {
                throw new ArgumentOutOfRangeException(name, port, $"{name} must be a TCP port{(canDisable ? " or -1" : "")}.");
            }
        }

        Port(FrontendPort, nameof(FrontendPort), false);
        Port(OtlpGrpcPort, nameof(OtlpGrpcPort), true);
        Port(OtlpHttpPort, nameof(OtlpHttpPort), true);
        if (Telemetry.MaxSpansPerResource < 1 || Telemetry.MaxLogsPerResource < 1 || Telemetry.MaxPointsPerSeries < 1 || Telemetry.MaxSeriesPerResource < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Telemetry), "Telemetry limits must be positive.");
        }
    }
}
