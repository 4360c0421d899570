using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Platform.Hosting.ApplicationModel;

namespace Platform.Hosting.Dashboard.Tests;

/// <summary>
/// A real Platform.Hosting application in run mode (an executable that prints a line every half second, with a secret
/// parameter in its environment) with the dashboard added the way the AppHost adds it, telemetry from two services
/// sent by the real OTLP exporter, and one headless Chromium.
/// </summary>
public sealed class HostedDashboardFixture : IAsyncLifetime
{
    public const string Secret = "s3cr3t-ticker-value";
    private DirectoryInfo _state = null!;
    private IPlaywright _playwright = null!;

    public DistributedApplication App { get; private set; } = null!;
    public DashboardServer Dashboard { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;
    public string TraceId { get; private set; } = "";
    public string Artifacts { get; } = Path.Combine(AppContext.BaseDirectory, "artifacts", "screenshots");

    public async ValueTask InitializeAsync()
    {
        _state = Directory.CreateTempSubdirectory("dashboard-apphost-");
        var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions
        {
            AppHostDirectory = _state.FullName,
            StateDirectory = _state.FullName,
            RandomizePorts = true,
            PrintSummary = false,
            DeleteStateOnDispose = true,
            StopTimeout = TimeSpan.FromSeconds(2),
        });
        builder.Configuration["Parameters:ticker-secret"] = Secret;
        var secret = builder.AddParameter("ticker-secret", secret: true);
        builder.AddExecutable("ticker", "bash", _state.FullName, "-c", "trap 'exit 0' TERM; while true; do echo \"tick $(date +%s%N)\"; sleep 0.5; done")
            .WithEnvironment("TICKER_SECRET", secret)
            .WithEnvironment("TICKER_MODE", "demo");
        builder.AddDashboard();
        App = builder.Build();
        await App.StartAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Dashboard = App.GetDashboard()!;
        await App.ResourceNotifications.WaitForResourceAsync("ticker", s => s.State == ResourceState.Running).WaitAsync(TimeSpan.FromSeconds(30));

        SendTelemetry();

        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        _playwright = await Playwright.CreateAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        }).WaitAsync(TimeSpan.FromSeconds(60));
        Directory.CreateDirectory(Artifacts);
    }

    private void Configure(OtlpExporterOptions o, string signal)
    {
        o.Protocol = OtlpExportProtocol.HttpProtobuf;
        o.Endpoint = new Uri(Dashboard.OtlpHttpEndpoint!, $"v1/{signal}");
        o.Headers = Dashboard.OtlpHeaders;
    }

    private static ResourceBuilder Resource(string name) => ResourceBuilder.CreateEmpty().AddService(name, serviceInstanceId: name + "-0");

    /// <summary>Exports one more single-span trace from <paramref name="service"/>; returns its trace id.</summary>
    public string SendTrace(string service, string name)
    {
        using var source = new ActivitySource(service + "-extra");
        using var provider = Sdk.CreateTracerProviderBuilder().SetResourceBuilder(Resource(service)).AddSource(source.Name)
            .AddOtlpExporter(o => Configure(o, "traces")).Build();
        string traceId;
        using (var span = source.StartActivity(name, ActivityKind.Server))
        {
            traceId = span!.TraceId.ToHexString();
        }

        provider.ForceFlush(10_000);
        return traceId;
    }

    /// <summary>A bet placement seen by two services (one trace), logs at several levels and a few metrics.</summary>
    private void SendTelemetry()
    {
        using var webSource = new ActivitySource("web-ui");
        using var betsSource = new ActivitySource("bets-api");
        using (var web = Sdk.CreateTracerProviderBuilder().SetResourceBuilder(Resource("web")).AddSource(webSource.Name).AddOtlpExporter(o => Configure(o, "traces")).Build())
        using (var bets = Sdk.CreateTracerProviderBuilder().SetResourceBuilder(Resource("bets-api")).AddSource(betsSource.Name).AddOtlpExporter(o => Configure(o, "traces")).Build())
        using (var logs = LoggerFactory.Create(l => l.AddOpenTelemetry(o => { o.SetResourceBuilder(Resource("bets-api")); o.IncludeFormattedMessage = true; o.AddOtlpExporter(e => Configure(e, "logs")); })))
        {
            var logger = logs.CreateLogger("Bets.Api.Placement");
            using (var root = webSource.StartActivity("POST /api/bets", ActivityKind.Client))
            {
                TraceId = root!.TraceId.ToHexString();
                using (var server = betsSource.StartActivity("POST /bets", ActivityKind.Server, root.Context))
                {
                    server!.SetTag("http.response.status_code", 201);
                    using var redis = betsSource.StartActivity("redis EVALSHA", ActivityKind.Client);
                    redis!.SetTag("db.system", "redis");
#pragma warning disable CA1848, CA2254
                    logger.LogInformation("Bet {BetId} placed for {Wallet}", 1001, "0xfeed");
                }
            }

            logger.LogWarning("Price feed stale for {Seconds}s", 12);
            logger.LogError("Resolution failed for bet {BetId}", 77);
#pragma warning restore CA1848, CA2254
            web.ForceFlush(10_000);
            bets.ForceFlush(10_000);
        }

        using var meter = new Meter("Bets.Api");
        var placed = meter.CreateCounter<long>("bets.placed");
        using var provider = Sdk.CreateMeterProviderBuilder().SetResourceBuilder(Resource("bets-api")).AddMeter(meter.Name)
            .AddReader(new BaseExportingMetricReader(new OtlpMetricExporter(Options()))).Build();
        for (var i = 1; i <= 3; i++)
        {
            placed.Add(i);
            provider.ForceFlush(10_000);
        }

        OtlpExporterOptions Options()
        {
            var o = new OtlpExporterOptions();
            Configure(o, "metrics");
            return o;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
        if (App is not null)
        {
            await App.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        }

        if (_state.Exists)
        {
            _state.Delete(recursive: true);
        }
    }
}
