// ./platform bench hosting [--runs N]: starts the real AppHost through the testing builder N times (projects already
// built) and measures the time from start to every resource healthy; then, on alternate runs, the time of an ordered
// stop (StopAsync) or of a dispose straight from running (DisposeAsync, the call tests make) until no process of the
// application remains. Each start prints when every resource first ran and turned healthy (running/healthy, in seconds
// from the start). The first start of a state folder runs initdb, so it is reported apart as the cold start.
using System.Diagnostics;
using System.Globalization;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;

var runs = args.SkipWhile(a => a != "--runs").Skip(1).Select(a => int.Parse(a, CultureInfo.InvariantCulture)).FirstOrDefault(6);
string[] processes = ["redis-0", "redis-1", "redis-sentinel-0", "redis-sentinel-1", "redis-sentinel-2", "postgres-process",
    "prices-ingest", "bets-api", "sync-api", "web"];
var starts = new List<double>();
var stops = new List<double>();
var disposals = new List<double>();
for (var run = 0; run <= runs; run++)
{
    var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>();
    builder.WithPlatformTestDefaults(output: null);
    var app = await builder.BuildAsync();

    var cpuBefore = MachineCpuSeconds();
    var appHostCpuBefore = CpuSeconds(Environment.ProcessId);
    var sw = Stopwatch.StartNew();
    using var watching = new CancellationTokenSource();
    var milestones = WatchMilestonesAsync(app, sw, watching.Token);
    await app.StartAndWaitForHealthyAsync(TimeSpan.FromMinutes(3));
    var start = sw.Elapsed.TotalSeconds;
    await watching.CancelAsync();
    Console.WriteLine($"  {string.Join(", ", (await milestones).Select(m => $"{m.Key} {m.Value}"))}");
    var machineCpu = MachineCpuSeconds() - cpuBefore;
    var pids = new List<(string Name, int Pid)>();
    foreach (var name in processes)
    {
        pids.AddRange((await app.ProcessIdsAsync(name)).Select(pid => (name, pid)));
    }

    // Where the start's CPU went: each resource's process with its children (a project runs under `dotnet run`), the
    // AppHost (this process, DCP under it excluded) and DCP, against the machine's total.
    var tree = ProcessTree();
    var resourceCpu = pids.GroupBy(p => p.Name).Select(g => (g.Key, Cpu: g.Sum(p => TreeCpuSeconds(p.Pid, tree)))).ToList();
    var appHostCpu = CpuSeconds(Environment.ProcessId) - appHostCpuBefore;
    var dcpCpu = tree.Where(p => p.Value.Comm.StartsWith("dcp", StringComparison.Ordinal)).Sum(p => CpuSeconds(p.Key));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  cpu s: machine {machineCpu:0.0}, apphost {appHostCpu:0.0}, dcp {dcpCpu:0.0}, {string.Join(", ", resourceCpu.Select(r => $"{r.Key} {r.Cpu:0.0}"))}"));

    var measureStop = run % 2 == 1;
    sw.Restart();
    var stopReturned = double.NaN;
    var ending = Task.Run(async () =>
    {
        if (measureStop)
        {
            await app.StopAsync();
            stopReturned = sw.Elapsed.TotalSeconds;
        }

        await app.DisposeAsync();
    });
    var exited = new Dictionary<string, double>();
    while (pids.Any(p => IsRunning(p.Pid)))
    {
        foreach (var (name, pid) in pids.Where(p => !IsRunning(p.Pid) && !exited.ContainsKey($"{p.Name}/{p.Pid}")))
        {
            exited[$"{name}/{pid}"] = sw.Elapsed.TotalSeconds;
        }

        await Task.Delay(10);
    }

    foreach (var (name, pid) in pids.Where(p => !exited.ContainsKey($"{p.Name}/{p.Pid}")))
    {
        exited[$"{name}/{pid}"] = sw.Elapsed.TotalSeconds;
    }

    var lastExit = sw.Elapsed.TotalSeconds;
    await ending;
    var end = sw.Elapsed.TotalSeconds;
    var order = exited.OrderBy(e => e.Value).Select(e => string.Create(CultureInfo.InvariantCulture, $"{e.Key.Split('/')[0]} {e.Value:0.0}"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  exits: {string.Join(", ", order)}; last process gone at {lastExit:0.0} s{(measureStop ? $", StopAsync returned at {stopReturned:0.0} s" : "")}, DisposeAsync at {end:0.0} s"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"run {run}{(run == 0 ? " (cold: initdb)" : string.Empty)}: start to all healthy {start:0.00} s, {(measureStop ? "stop" : "dispose")} until no process is left {end:0.00} s"));
    if (run > 0)
    {
        starts.Add(start);
        (measureStop ? stops : disposals).Add(end);
    }
}

// When each resource first ran and first turned healthy: the start's critical path.
static async Task<Dictionary<string, string>> WatchMilestonesAsync(DistributedApplication app, Stopwatch sw, CancellationToken ct)
{
    var running = new Dictionary<string, double>();
    var healthy = new Dictionary<string, double>();
    try
    {
        await foreach (var e in app.Services.GetRequiredService<ResourceNotificationService>().WatchAsync(ct))
        {
            var name = e.Resource.Name;
            if (e.Snapshot.State?.Text == KnownResourceStates.Running)
            {
                running.TryAdd(name, sw.Elapsed.TotalSeconds);
            }

            if (e.Snapshot.HealthStatus == Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy)
            {
                healthy.TryAdd(name, sw.Elapsed.TotalSeconds);
            }
        }
    }
    catch (OperationCanceledException)
    {
    }

    return healthy.OrderBy(h => h.Value).ToDictionary(h => h.Key, h => string.Create(CultureInfo.InvariantCulture,
        $"{(running.TryGetValue(h.Key, out var r) ? r : double.NaN):0.0}/{h.Value:0.0}"));
}

static bool IsRunning(int pid)
{
    // The process can end between any two reads of /proc, so a read that finds it gone answers "not running".
    try
    {
        return File.ReadAllText($"/proc/{pid}/stat").Split(' ')[2] != "Z";
    }
    catch (IOException)
    {
        return false;
    }
}

// Seconds of CPU that the whole machine spent since boot (user, nice, system, irq, softirq, steal).
static double MachineCpuSeconds()
{
    var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
    return new[] { 1, 2, 3, 6, 7, 8 }.Sum(i => double.Parse(fields[i], CultureInfo.InvariantCulture)) / 100;
}

static double CpuSeconds(int pid)
{
    try
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture)) / 100;
    }
    catch (IOException)
    {
        return 0;
    }
}

static Dictionary<int, (int Parent, string Comm)> ProcessTree()
{
    var tree = new Dictionary<int, (int, string)>();
    foreach (var dir in Directory.EnumerateDirectories("/proc"))
    {
        if (int.TryParse(Path.GetFileName(dir), out var pid))
        {
            try
            {
                var stat = File.ReadAllText($"{dir}/stat");
                var comm = stat[(stat.IndexOf('(') + 1)..stat.LastIndexOf(')')];
                tree[pid] = (int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture), comm);
            }
            catch (IOException)
            {
            }
        }
    }

    return tree;
}

static double TreeCpuSeconds(int pid, Dictionary<int, (int Parent, string Comm)> tree) =>
    CpuSeconds(pid) + tree.Where(p => p.Value.Parent == pid).Sum(p => TreeCpuSeconds(p.Key, tree));

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count == 0 ? double.NaN
        : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
}

Console.WriteLine("bars: start < 10 s, stop < 3 s, dispose < 3 s (2-core machine)");
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"hosting start_s={Median(starts):0.00} stop_s={Median(stops):0.00} dispose_s={Median(disposals):0.00}"));
