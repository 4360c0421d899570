using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Platform.Redis.Tracing;
using Platform.TestSupport;
using StackExchange.Redis;

// SET/GET throughput of redis-benchmark (-P 16 -c 50) and of StackExchange.Redis as the services configure it
// (AddServiceDefaults + AddRedisClientTracedInRequests: Aspire's AddRedisClient, one multiplexed connection, with
// spans for the commands of recorded traces only; many concurrent callers outside any span, as background work runs)
// against the same local redis-server, in the same run; then the same client with Aspire's own Redis tracing, which
// profiles every command (aspire_tracing_*: what the services had before lib/Platform.Redis.Tracing).
var requests = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 500_000;
var callers = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 800;

await using var server = await RedisTopology.StartAsync(new RedisTopologyOptions { Replicas = 0, Sentinels = 0, Password = "" });
Console.WriteLine($"redis-server on 127.0.0.1:{server.MasterPort}; {requests:N0} requests per test, {callers} concurrent callers");

var peer = RunRedisBenchmark(server.MasterPort, requests);
Console.WriteLine($"redis-benchmark -P 16 -c 50: SET {peer["SET"]:N0}/s GET {peer["GET"]:N0}/s");

var latencies = new long[requests]; // one buffer for every run: a fresh 4 MB array per run costs a gen2 GC inside the timing
var (set, get) = await MeasureAsync(server.MasterPort, aspireTracing: false, requests, callers, latencies);
// Aspire's instrumentation profiles every command, here each one into its default session until its drain thread
// turns it into a root span, every 10 s: half of the client's CPU in this bench when it was measured.
var (aspireSet, aspireGet) = await MeasureAsync(server.MasterPort, aspireTracing: true, requests, callers, latencies);

double Ratio(Result s, Result g) => ((s.OpsPerSecond / peer["SET"]) + (g.OpsPerSecond / peer["GET"])) / 2;
var ours = (set.OpsPerSecond + get.OpsPerSecond) / 2;
var p50 = Math.Max(set.P50, get.P50);
var p99 = Math.Max(set.P99, get.P99);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"redis ratio={Ratio(set, get):F2} ops_per_s={ours:F0} p50_ms={p50:F3} p99_ms={p99:F3} aspire_tracing_ratio={Ratio(aspireSet, aspireGet):F2} aspire_tracing_ops_per_s={(aspireSet.OpsPerSecond + aspireGet.OpsPerSecond) / 2:F0}"));

static async Task<(Result Set, Result Get)> MeasureAsync(int port, bool aspireTracing, int requests, int callers, long[] latencies)
{
    var builder = Host.CreateApplicationBuilder();
    builder.Logging.ClearProviders();
    builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:redis"] = $"127.0.0.1:{port}" });
    builder.AddServiceDefaults();
    if (aspireTracing)
    {
        builder.AddRedisClient("redis");
    }
    else
    {
        builder.AddRedisClientTracedInRequests("redis");
    }

    using var host = builder.Build();
    await host.StartAsync();
    var db = host.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
    var value = new string('x', 3); // redis-benchmark's default payload is 3 bytes
    var label = aspireTracing ? "StackExchange.Redis with Aspire's Redis tracing" : "StackExchange.Redis";
    var warmup = await WarmUpAsync(db, Math.Min(requests / 5, 100_000), callers, value, latencies);
    Console.WriteLine($"{label}: warm-up {warmup.Seconds:F1} s, {warmup.Rounds} SET+GET rounds, last round JIT-compiled {warmup.LastJitted} methods");
    var set = await RunOursAsync(db, "SET", requests, callers, value, latencies);
    var get = await RunOursAsync(db, "GET", requests, callers, value, latencies);
    foreach (var r in new[] { set, get })
    {
        Console.WriteLine($"{label} {r.Name}: {r.OpsPerSecond:N0}/s p50={r.P50:F3} ms p99={r.P99:F3} ms");
    }

    // Disposing the host (leaving this method) ends the instrumentation's drain thread after its last drain, so the next
    // measurement does not share the CPU with it.
    await host.StopAsync();
    return (set, get);
}

static Dictionary<string, double> RunRedisBenchmark(int port, int requests)
{
    var psi = new ProcessStartInfo("redis-benchmark")
    {
        RedirectStandardOutput = true,
        RedirectStandardError = true,
        UseShellExecute = false,
    };
    foreach (var a in new[] { "-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "-P", "16", "-c", "50",
                 "-t", "set,get", "-n", requests.ToString(CultureInfo.InvariantCulture), "-q" })
    {
        psi.ArgumentList.Add(a);
    }

    using var p = Process.Start(psi) ?? throw new InvalidOperationException("redis-benchmark did not start (apt-get install redis-tools)");
    var output = p.StandardOutput.ReadToEnd();
    p.WaitForExit();
    var results = new Dictionary<string, double>();
    foreach (Match m in Regex.Matches(output, @"(SET|GET): ([\d.]+) requests per second"))
    {
        results[m.Groups[1].Value] = double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
    }

    return results.Count == 2 ? results : throw new InvalidOperationException("could not read redis-benchmark's output: " + output);
}

// Until the JIT has settled: tiered compilation promotes the hot paths (tier 0, instrumented, tier 1, OSR) over the
// first seconds, on a background thread that competes with the callers and the server for the two cores. A warm-up of
// a fixed 200,000 commands ended after about 0.3 s, so the first measured test (SET) paid for ~950 methods and ~0.5 s
// of JIT and ran at half the speed of the second one (GET) while the steady-state rates of the two are the same.
static async Task<(double Seconds, int Rounds, long LastJitted)> WarmUpAsync(IDatabase db, int requests, int callers, string value, long[] latencies)
{
    var clock = Stopwatch.StartNew();
    var rounds = 0;
    long jitted;
    do
    {
        var before = System.Runtime.JitInfo.GetCompiledMethodCount();
        await RunOursAsync(db, "SET", requests, callers, value, latencies);
        await RunOursAsync(db, "GET", requests, callers, value, latencies);
        jitted = System.Runtime.JitInfo.GetCompiledMethodCount() - before;
        rounds++;
    }
    while ((clock.Elapsed.TotalSeconds < 2 || jitted > 30) && clock.Elapsed.TotalSeconds < 15);

    return (clock.Elapsed.TotalSeconds, rounds, jitted);
}

static async Task<Result> RunOursAsync(IDatabase db, string name, int requests, int callers, string value, long[] latencies)
{
    var next = -1;
    var isSet = name == "SET";
    var clock = Stopwatch.StartNew();
    var workers = new Task[callers];
    for (var c = 0; c < callers; c++)
    {
        workers[c] = Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < requests)
            {
                var start = Stopwatch.GetTimestamp();
                if (isSet)
                {
                    await db.StringSetAsync("key:__rand_int__", value);
                }
                else
                {
                    await db.StringGetAsync("key:__rand_int__");
                }

                latencies[i] = Stopwatch.GetTimestamp() - start;
            }
        });
    }

    await Task.WhenAll(workers);
    var elapsed = clock.Elapsed.TotalSeconds;
    Array.Sort(latencies, 0, requests);
    double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
    return new Result(name, requests / elapsed, Ms(latencies[requests / 2]), Ms(latencies[(int)(requests * 0.99)]));
}

internal sealed record Result(string Name, double OpsPerSecond, double P50, double P99);
