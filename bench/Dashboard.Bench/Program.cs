using System.Diagnostics;
using System.Net.Http.Headers;
using Dashboard.Bench;
using Platform.Hosting.Dashboard;
using Platform.Hosting.Dashboard.Telemetry;

// OTLP/HTTP protobuf ingestion into the dashboard at its default limits: concurrent exporters post batches of 512 spans
// (then 512 log records) from 8 services for a fixed time; the dashboard's own counters say what was accepted. RSS is
// read after both phases, when every service has filled its span and log limits.
var seconds = args.Length > 0 && int.TryParse(args[0], out var s) ? s : 5;
const int Services = 8, Batch = 512, Senders = 4;

await using var dashboard = await DashboardServer.StartAsync(new DashboardOptions { FrontendPort = 0, OtlpGrpcPort = -1, OtlpHttpPort = 0 });
var defaults = new TelemetryStoreOptions();
Console.WriteLine($"limits: {defaults.MaxSpansPerResource} spans, {defaults.MaxLogsPerResource} logs per resource; {Services} services, batches of {Batch}, {Senders} senders, {seconds}s per phase");

var traces = Enumerable.Range(0, Services).Select(i => OtlpPayloads.Traces($"service-{i}", Batch, i)).ToArray();
var logs = Enumerable.Range(0, Services).Select(i => OtlpPayloads.Logs($"service-{i}", Batch, i)).ToArray();
Console.WriteLine($"payload: {traces[0].Length / 1024} KiB per span batch, {logs[0].Length / 1024} KiB per log batch");

using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Senders }) { BaseAddress = dashboard.OtlpHttpEndpoint };

async Task<double> RunAsync(string path, byte[][] payloads, Func<long> accepted)
{
    // Warm up (JIT, connections), then measure.
    await SendForAsync(path, payloads, TimeSpan.FromSeconds(1));
    var before = accepted();
    var watch = Stopwatch.StartNew();
    await SendForAsync(path, payloads, TimeSpan.FromSeconds(seconds));
    return (accepted() - before) / watch.Elapsed.TotalSeconds;
}

async Task SendForAsync(string path, byte[][] payloads, TimeSpan duration)
{
    var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
    await Task.WhenAll(Enumerable.Range(0, Senders).Select(async sender =>
    {
        for (var n = sender; Stopwatch.GetTimestamp() < end; n++)
        {
            using var content = new ByteArrayContent(payloads[n % payloads.Length]);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
            content.Headers.Add("x-otlp-api-key", dashboard.OtlpApiKey);
            using var response = await client.PostAsync(path, content);
            response.EnsureSuccessStatusCode();
        }
    }));
}

var spansPerSecond = await RunAsync("v1/traces", traces, () => Interlocked.Read(ref dashboard.Ingest.AcceptedSpans));
Console.WriteLine($"spans: {spansPerSecond:F0}/s accepted");
var logsPerSecond = await RunAsync("v1/logs", logs, () => Interlocked.Read(ref dashboard.Ingest.AcceptedLogs));
Console.WriteLine($"logs: {logsPerSecond:F0}/s accepted");

GC.Collect();
GC.WaitForPendingFinalizers();
GC.Collect();
var resources = dashboard.Telemetry.GetResources();
Console.WriteLine($"kept: {resources.Sum(r => r.Spans)} spans, {resources.Sum(r => r.Logs)} logs in {resources.Count} resources");
using var process = Process.GetCurrentProcess();
process.Refresh();
var rssMb = process.WorkingSet64 / (1024.0 * 1024.0);
Console.WriteLine($"managed heap: {GC.GetTotalMemory(false) / (1024 * 1024)} MiB (RSS includes the load generator in the same process)");
Console.WriteLine($"dashboard spans_per_s={spansPerSecond:F0} logs_per_s={logsPerSecond:F0} rss_mb={rssMb:F0}");
