using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Platform.Hosting.Dashboard.Telemetry;
using SpanKind = Platform.Hosting.Dashboard.Telemetry.SpanKind;

namespace Platform.Hosting.Dashboard.Tests;

/// <summary>What the real OpenTelemetry .NET SDK and OTLP exporter send is decoded completely, over both transports.</summary>
public sealed class RealExporterTests(DashboardFixture dashboard) : IClassFixture<DashboardFixture>
{
    public static TheoryData<OtlpExportProtocol> Protocols => [OtlpExportProtocol.HttpProtobuf, OtlpExportProtocol.Grpc];

    private void Configure(OtlpExporterOptions o, OtlpExportProtocol protocol, string signal)
    {
        o.Protocol = protocol;
        o.Endpoint = protocol == OtlpExportProtocol.Grpc
            ? dashboard.Server.OtlpGrpcEndpoint!
            : new Uri(dashboard.Server.OtlpHttpEndpoint!, $"v1/{signal}");
        o.Headers = dashboard.Server.OtlpHeaders;
    }

    private static ResourceBuilder Resource(string service, string instance) =>
        ResourceBuilder.CreateEmpty().AddService(service, serviceInstanceId: instance).AddAttributes([new("deployment.environment", "test")]);

    [Theory]
    [MemberData(nameof(Protocols))]
    public async Task SpansFromTwoServicesFormOneTraceWithAttributesEventsLinksAndStatus(OtlpExportProtocol protocol)
    {
        var suffix = protocol.ToString().ToLowerInvariant();
        using var frontSource = new ActivitySource($"front-{suffix}");
        using var backSource = new ActivitySource($"back-{suffix}");
        using var front = Sdk.CreateTracerProviderBuilder().SetResourceBuilder(Resource($"front-{suffix}", "front-0"))
            .AddSource(frontSource.Name).AddOtlpExporter(o => Configure(o, protocol, "traces")).Build();
        using var back = Sdk.CreateTracerProviderBuilder().SetResourceBuilder(Resource($"back-{suffix}", "back-1"))
            .AddSource(backSource.Name).AddOtlpExporter(o => Configure(o, protocol, "traces")).Build();

        ActivityContext linked;
        using (var other = frontSource.StartActivity("unrelated"))
        {
            linked = other!.Context;
        }

        string traceId;
        using (var root = frontSource.StartActivity("POST /bets", ActivityKind.Server))
        {
            traceId = root!.TraceId.ToHexString();
            root.SetTag("http.request.method", "POST");
            root.SetTag("retry.count", 3);
            root.SetTag("ratio", 0.5);
            root.SetTag("flags", new[] { "a", "b" });
            // The backend span starts from the propagated context, as it would across HTTP.
            using var child = backSource.StartActivity("redis SET", ActivityKind.Client, root.Context, links: [new ActivityLink(linked)]);
            child!.AddEvent(new ActivityEvent("cache miss", tags: new ActivityTagsCollection([new("key", "price:btc:usd")])));
            child.SetStatus(ActivityStatusCode.Error, "timeout");
        }

        Assert.True(front.ForceFlush(10_000));
        Assert.True(back.ForceFlush(10_000));

        var trace = await Eventually.WaitAsync(() => Task.FromResult(dashboard.Server.Telemetry.GetTrace(traceId)), t => t?.Spans.Count == 2);
        Assert.Equal(["back-" + suffix, "front-" + suffix], trace!.Summary.Services);
        Assert.Equal("POST /bets", trace.Summary.Name);
        Assert.Equal(1, trace.Summary.ErrorCount);

        var root2 = trace.Spans.Single(s => s.Name == "POST /bets");
        Assert.Equal(SpanKind.Server, root2.Kind);
        Assert.Equal("", root2.ParentSpanId);
        Assert.Equal("front-0", root2.Instance);
        Assert.Contains(new Attr("http.request.method", "POST"), root2.Attributes);
        Assert.Contains(new Attr("retry.count", "3"), root2.Attributes);
        Assert.Contains(new Attr("ratio", "0.5"), root2.Attributes);
        Assert.Contains(new Attr("flags", "[a, b]"), root2.Attributes);
        Assert.True(root2.EndUnixNano >= root2.StartUnixNano && root2.StartUnixNano > 0);

        var child2 = trace.Spans.Single(s => s.Name == "redis SET");
        Assert.Equal(root2.SpanId, child2.ParentSpanId);
        Assert.Equal(SpanKind.Client, child2.Kind);
        Assert.Equal(SpanStatusCode.Error, child2.Status);
        Assert.Equal("timeout", child2.StatusMessage);
        Assert.Equal("back-1", child2.Instance);
        Assert.Equal(backSource.Name, child2.Scope);
        var evt = Assert.Single(child2.Events);
        Assert.Equal("cache miss", evt.Name);
        Assert.Contains(new Attr("key", "price:btc:usd"), evt.Attributes);
        var link = Assert.Single(child2.Links);
        Assert.Equal(linked.TraceId.ToHexString(), link.TraceId);
        Assert.Equal(linked.SpanId.ToHexString(), link.SpanId);

        var resource = dashboard.Server.Telemetry.GetResources().Single(r => r.Name == "back-" + suffix);
        Assert.Contains(new Attr("deployment.environment", "test"), resource.Attributes);
    }

    [Theory]
    [MemberData(nameof(Protocols))]
    public async Task LogRecordsKeepLevelBodyAttributesAndTraceContext(OtlpExportProtocol protocol)
    {
        var service = $"logs-{protocol}".ToLowerInvariant();
        using var factory = LoggerFactory.Create(logging => logging.AddOpenTelemetry(o =>
        {
            o.SetResourceBuilder(Resource(service, "logs-0"));
            o.IncludeFormattedMessage = true;
            o.AddOtlpExporter(e => Configure(e, protocol, "logs"));
        }));
        var logger = factory.CreateLogger("Bets.Placement");
        using var source = new ActivitySource("logs-test-" + service);
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s == source,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        string traceId;
        using (var activity = source.StartActivity("place"))
        {
            traceId = activity!.TraceId.ToHexString();
#pragma warning disable CA1848, CA2254 // the test sends what an application sends
            logger.LogWarning("Bet {BetId} rejected for {Wallet}", 42, "0xabc");
        }

        logger.LogInformation("Started");
#pragma warning restore CA1848, CA2254
        factory.Dispose();

        var logs = await Eventually.WaitAsync(() => Task.FromResult(dashboard.Server.Telemetry.GetLogs(new LogQuery(Resource: service))), l => l.Count == 2);
        var warning = logs[0];
        Assert.Equal("Bet 42 rejected for 0xabc", warning.Body);
        Assert.Equal("Warning", warning.Level);
        Assert.Equal(13, warning.SeverityNumber);
        Assert.Equal(traceId, warning.TraceId);
        Assert.Equal(16, warning.SpanId.Length);
        Assert.Equal("Bets.Placement", warning.Scope);
        Assert.Contains(new Attr("BetId", "42"), warning.Attributes);
        Assert.Contains(new Attr("Wallet", "0xabc"), warning.Attributes);
        Assert.Equal("Information", logs[1].Level);
        Assert.True(logs[1].Id > warning.Id);

        Assert.Single(dashboard.Server.Telemetry.GetLogs(new LogQuery(service, MinSeverity: 13)));
        Assert.Single(dashboard.Server.Telemetry.GetLogs(new LogQuery(service, Text: "0xABC")));
    }

    [Theory]
    [MemberData(nameof(Protocols))]
    public async Task CountersGaugesHistogramsAndExponentialHistogramsAreCharted(OtlpExportProtocol protocol)
    {
        var service = $"metrics-{protocol}".ToLowerInvariant();
        using var meter = new Meter("Platform.Test." + service);
        var bets = meter.CreateCounter<long>("bets.placed", "{bet}", "Bets placed");
        var latency = meter.CreateHistogram<double>("bet.latency", "ms");
        var exp = meter.CreateHistogram<double>("bet.latency.exp", "ms");
        var price = 65_000.5;
        meter.CreateObservableGauge("btc.price", () => price, "USD");
        var reader = new BaseExportingMetricReader(new OtlpMetricExporter(Options(protocol)));
        using var provider = Sdk.CreateMeterProviderBuilder().SetResourceBuilder(Resource(service, "m-0")).AddMeter(meter.Name)
            .AddView(exp.Name, new Base2ExponentialBucketHistogramConfiguration())
            .AddReader(reader).Build();

        bets.Add(2, new KeyValuePair<string, object?>("product", "grid"));
        bets.Add(3, new KeyValuePair<string, object?>("product", "grid"));
        latency.Record(5);
        latency.Record(50);
        exp.Record(1);
        exp.Record(8);
        Assert.True(provider.ForceFlush(10_000));

        var store = dashboard.Server.Telemetry;
        var instruments = await Eventually.WaitAsync(() => Task.FromResult(store.GetInstruments(service)), i => i.Count == 4);
        Assert.Equal(["bet.latency", "bet.latency.exp", "bets.placed", "btc.price"], instruments.Select(i => i.Name));

        var counter = store.GetInstrument(service, "bets.placed")!;
        Assert.Equal("Sum", counter.Instrument.Kind);
        Assert.Equal("{bet}", counter.Instrument.Unit);
        Assert.Equal("Bets placed", counter.Instrument.Description);
        var series = Assert.Single(counter.Series);
        Assert.Equal([new Attr("product", "grid")], series.Attributes);
        Assert.Equal(5, series.Points[^1].Value);
        Assert.True(series.Points[^1].IsMonotonic);

        var gauge = Assert.Single(store.GetInstrument(service, "btc.price")!.Series).Points[^1];
        Assert.Equal(MetricKind.Gauge, gauge.Kind);
        Assert.Equal(65_000.5, gauge.Value);

        var histogram = Assert.Single(store.GetInstrument(service, "bet.latency")!.Series).Points[^1];
        Assert.Equal(MetricKind.Histogram, histogram.Kind);
        Assert.Equal(2ul, histogram.Count);
        Assert.Equal(55, histogram.Value);
        Assert.Equal(5, histogram.Min);
        Assert.Equal(50, histogram.Max);
        Assert.Equal(histogram.ExplicitBounds!.Count + 1, histogram.BucketCounts!.Count);
        Assert.Equal(2ul, histogram.BucketCounts.Aggregate(0ul, (a, b) => a + b));

        var exponential = Assert.Single(store.GetInstrument(service, "bet.latency.exp")!.Series).Points[^1];
        Assert.Equal(MetricKind.ExponentialHistogram, exponential.Kind);
        Assert.Equal(2ul, exponential.Count);
        Assert.Equal(9, exponential.Value);
        Assert.Equal(2ul, exponential.PositiveCounts!.Aggregate(0ul, (a, b) => a + b));
    }

    private OtlpExporterOptions Options(OtlpExportProtocol protocol)
    {
        var options = new OtlpExporterOptions();
        Configure(options, protocol, "metrics");
        return options;
    }
}
