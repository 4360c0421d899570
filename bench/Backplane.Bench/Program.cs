using System.Globalization;
using Backplane.Bench;
using Platform.TestSupport;

// ./platform bench backplane [--receivers N] [--messages N] [--window N]
// 1,000 WebSocket connections in one group over two servers with the Redis backplane, against the same load on one
// server without a backplane, in the same run. Last line: backplane msgs_per_s=<n> p99_ms=<n> ratio_vs_single=<n>
var receivers = Arg("--receivers", 1000);
var messages = Arg("--messages", 2000);
var window = Arg("--window", 4);
var warmup = Math.Max(50, messages / 10);
using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(10));

await using var redis = await RedisTopology.StartAsync(new RedisTopologyOptions { Replicas = 0, Sentinels = 0 }, cts.Token);
Console.WriteLine($"redis-server on 127.0.0.1:{redis.MasterPort}; {receivers} receivers, {messages} broadcasts, window {window}");

RunResult single;
await using (var server = await BenchServer.StartAsync(redis: null, prefix: "bench", window))
{
    using var run = new LoadRun([server], receivers, window);
    single = await run.RunAsync("single server, no backplane", warmup, messages, cts.Token);
}

Report(single);

RunResult scaled;
await using (var a = await BenchServer.StartAsync(redis.ConnectionString, "bench", window))
await using (var b = await BenchServer.StartAsync(redis.ConnectionString, "bench", window))
{
    using var run = new LoadRun([a, b], receivers, window);
    scaled = await run.RunAsync("two servers, Redis backplane", warmup, messages, cts.Token);
}

Report(scaled);
var ratio = scaled.MessagesPerSecond / single.MessagesPerSecond;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"backplane msgs_per_s={scaled.MessagesPerSecond:0} p99_ms={scaled.P99Ms:0.0} ratio_vs_single={ratio:0.00}"));

static void Report(RunResult r) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{r.Name,-30} {r.Deliveries,9} deliveries in {r.Seconds,6:0.00} s = {r.MessagesPerSecond,9:0} msgs/s, p50 {r.P50Ms:0.0} ms, p99 {r.P99Ms:0.0} ms"));

int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}
