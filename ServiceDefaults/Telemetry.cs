using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Platform.ServiceDefaults;

/// <summary>
/// OpenTelemetry without the hosting and instrumentation packages (they are not in the package source): the SDK's
/// providers are built here and owned by the container, and the framework's own ActivitySources and Meters are
/// listened to by name. Nothing is exported unless <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set.
/// </summary>
public static class Telemetry
{
    /// <summary>Sources every service listens to: the framework's and every <c>Platform.*</c> library's.</summary>
    public static readonly string[] FrameworkSources =
    [
        "Microsoft.AspNetCore",
        "System.Net.Http",
        "Microsoft.AspNetCore.SignalR.Server",
        "Platform.*",
    ];

    public static readonly string[] FrameworkMeters =
    [
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Server.Kestrel",
        "Microsoft.AspNetCore.Http.Connections",
        "Microsoft.AspNetCore.Routing",
        "Microsoft.AspNetCore.Diagnostics",
        "Microsoft.AspNetCore.RateLimiting",
        "System.Net.Http",
        "System.Runtime",
        "Platform.*",
    ];

    internal static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        var settings = TelemetrySettings.From(builder.Configuration, builder.Environment.ApplicationName);
        builder.Services.AddSingleton(settings);
        if (settings.Endpoint is null)
        {
            return builder;
        }

        var appSources = new[] { settings.ServiceName, builder.Environment.ApplicationName, builder.Environment.ApplicationName + ".*" };
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.SetResourceBuilder(settings.CreateResource());
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
            logging.AddOtlpExporter(o => settings.ConfigureExporter(o, "logs"));
        });

        builder.Services.AddSingleton(_ => Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(settings.CreateResource())
            .AddSource([.. FrameworkSources, .. appSources])
            .AddOtlpExporter(o => settings.ConfigureExporter(o, "traces"))
            .Build());

        builder.Services.AddSingleton(_ => Sdk.CreateMeterProviderBuilder()
            .SetResourceBuilder(settings.CreateResource())
            .AddMeter([.. FrameworkMeters, .. appSources])
            .AddReader(new PeriodicExportingMetricReader(
                new OtlpMetricExporter(settings.CreateExporterOptions("metrics")),
                (int)settings.MetricExportInterval.TotalMilliseconds))
            .Build());

        // Build the providers when the host starts (so listening begins before the first request) and let the
        // container dispose them on shutdown, which flushes what is buffered.
        builder.Services.AddHostedService<TelemetryStarter>();
        return builder;
    }

    private sealed class TelemetryStarter(TracerProvider tracer, MeterProvider meter) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            GC.KeepAlive(tracer);
            GC.KeepAlive(meter);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken)
        {
            tracer.ForceFlush(2000);
            meter.ForceFlush(2000);
            return Task.CompletedTask;
        }
    }
}

/// <summary>The OTEL_* settings, read from configuration (environment variables arrive there too).</summary>
public sealed record TelemetrySettings(
    Uri? Endpoint,
    OtlpExportProtocol Protocol,
    string ServiceName,
    IReadOnlyDictionary<string, object> ResourceAttributes,
    string? Headers,
    TimeSpan MetricExportInterval)
{
    public static TelemetrySettings From(IConfiguration configuration, string applicationName)
    {
        var endpointText = configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        Uri? endpoint = null;
        if (!string.IsNullOrWhiteSpace(endpointText) && !Uri.TryCreate(endpointText, UriKind.Absolute, out endpoint))
        {
            throw new InvalidOperationException($"OTEL_EXPORTER_OTLP_ENDPOINT '{endpointText}' is not an absolute URI.");
        }

        var protocol = configuration["OTEL_EXPORTER_OTLP_PROTOCOL"]?.Trim().ToLowerInvariant() switch
        {
            null or "" or "grpc" => OtlpExportProtocol.Grpc,
            "http/protobuf" => OtlpExportProtocol.HttpProtobuf,
            var other => throw new InvalidOperationException(
                $"OTEL_EXPORTER_OTLP_PROTOCOL '{other}' is not supported; use 'grpc' or 'http/protobuf'."),
        };

        var attributes = ParseAttributes(configuration["OTEL_RESOURCE_ATTRIBUTES"]);
        var serviceName = configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } name ? name
            : attributes.TryGetValue("service.name", out var fromAttributes) ? (string)fromAttributes
            : applicationName;
        var interval = int.TryParse(configuration["OTEL_METRIC_EXPORT_INTERVAL"], out var ms) && ms > 0
            ? TimeSpan.FromMilliseconds(ms)
            : TimeSpan.FromSeconds(60);
        return new(endpoint, protocol, serviceName, attributes, configuration["OTEL_EXPORTER_OTLP_HEADERS"], interval);
    }

    internal ResourceBuilder CreateResource()
    {
        var instance = ResourceAttributes.TryGetValue("service.instance.id", out var id) ? (string)id : null;
        return ResourceBuilder.CreateEmpty()
            .AddService(ServiceName, serviceInstanceId: instance, autoGenerateServiceInstanceId: instance is null)
            .AddAttributes(ResourceAttributes.Where(a => a.Key is not ("service.name" or "service.instance.id")));
    }

    internal OtlpExporterOptions CreateExporterOptions(string signal)
    {
        var options = new OtlpExporterOptions();
        ConfigureExporter(options, signal);
        return options;
    }

    internal void ConfigureExporter(OtlpExporterOptions options, string signal)
    {
        options.Protocol = Protocol;
        // A programmatic endpoint is used as given for HTTP, so the signal path is added here.
        options.Endpoint = Protocol == OtlpExportProtocol.HttpProtobuf
            ? new Uri(Endpoint!, $"{Endpoint!.AbsolutePath.TrimEnd('/')}/v1/{signal}")
            : Endpoint!;
        if (Headers is not null)
        {
            options.Headers = Headers;
        }
    }

    private static Dictionary<string, object> ParseAttributes(string? text)
    {
        var result = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var pair in (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                result[Uri.UnescapeDataString(pair[..eq].Trim())] = Uri.UnescapeDataString(pair[(eq + 1)..].Trim());
            }
        }

        return result;
    }
}
