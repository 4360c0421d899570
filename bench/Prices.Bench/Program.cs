using System.Diagnostics;
using System.Globalization;
using Platform.TestSupport;
using Prices.Bench;
using StackExchange.Redis;

// ./platform bench prices [--seconds N] [--rate ticks/s] [--max-rate ticks/s]
// The simulated feed drives the real aggregation service into a real redis-server; a subscriber on another connection
// measures tick arrival -> PUBLISH received. The peer is a bare PUBLISH -> receive round trip on the same client.
var seconds = Arg("--seconds", 10);
var rate = Arg("--rate", 100);
var maxRate = Arg("--max-rate", 200_000);

await using var redis = await RedisTopology.StartAsync(new RedisTopologyOptions { Replicas = 0, Sentinels = 0, Password = "" });
var connection = redis.ConnectionString;
// Latency tails on a shared machine follow its load: print it so the figures can be read in context.
var load = File.Exists("/proc/loadavg") ? (await File.ReadAllTextAsync("/proc/loadavg")).Split(' ')[0] : "?";
Console.WriteLine($"redis-server at {connection}; {Environment.ProcessorCount} cores, load average {load}; {seconds} s per run");

// The peer and ours run side by side, so both see the same machine (on a shared box the tail follows its load).
var bareRun = BareRoundTrip.RunAsync(connection, rate, seconds + 2);
var paced = await PipelineRun.RunAsync(connection, rate, seconds);
var bare = await bareRun;
Console.WriteLine($"peer  bare PUBLISH->receive  {rate,6} msg/s   p50 {bare.P50:0.000} ms  p99 {bare.P99:0.000} ms");
Console.WriteLine($"ours  tick->PUBLISH received {rate,6} ticks/s p50 {paced.P50:0.000} ms  p99 {paced.P99:0.000} ms  " +
                  $"({paced.Published} published, {paced.TicksPerSecond:0} ticks/s sustained)");

var flat = await PipelineRun.RunAsync(connection, maxRate, Math.Max(3, seconds / 2));
Console.WriteLine($"ours  tick->PUBLISH received {maxRate,6} ticks/s offered: {flat.TicksPerSecond:0} ticks/s sustained, " +
                  $"{flat.Published / flat.Seconds:0} publishes/s, p50 {flat.P50:0.000} ms  p99 {flat.P99:0.000} ms, {flat.Dropped} dropped");
Console.WriteLine($"ratio p99 ours/bare at {rate}/s: {paced.P99 / Math.Max(bare.P99, 0.001):0.0}x; target p99 < 5 ms: {(paced.P99 < 5 ? "met" : "NOT met")}");
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"prices ticks_per_s={flat.TicksPerSecond:0} p99_ms={paced.P99:0.00}"));

int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}

namespace Prices.Bench
{
    internal static class Percentiles
    {
        public static double Of(List<double> sorted, double p) =>
            sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p / 100 * sorted.Count) - 1)];
    }

    /// <summary>The floor: PUBLISH from one connection, receipt on the subscriber connection, nothing else.</summary>
    internal static class BareRoundTrip
    {
        public static async Task<(double P50, double P99)> RunAsync(string connection, int rate, int seconds)
        {
            await using var publisher = await ConnectionMultiplexer.ConnectAsync(connection);
            await using var subscriber = await ConnectionMultiplexer.ConnectAsync(connection);
            var latencies = new List<double>();
            var channel = RedisChannel.Literal("bench:bare");
            await subscriber.GetSubscriber().SubscribeAsync(channel, (_, value) =>
            {
                var sent = (long)value;
                lock (latencies)
                {
                    latencies.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
                }
            });

            var db = publisher.GetDatabase();
            var interval = TimeSpan.FromSeconds(1.0 / rate);
            var end = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
            var next = Stopwatch.GetTimestamp();
            while (Stopwatch.GetTimestamp() < end)
            {
                await db.PublishAsync(channel, Stopwatch.GetTimestamp());
                next += (long)(interval.TotalSeconds * Stopwatch.Frequency);
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait);
                }
            }

            await Task.Delay(200);
            lock (latencies)
            {
                latencies.Sort();
                return (Percentiles.Of(latencies, 50), Percentiles.Of(latencies, 99));
            }
        }
    }
}
