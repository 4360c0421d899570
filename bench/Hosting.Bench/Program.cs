// ./platform bench hosting [--runs N]: starts the real AppHost model N times (projects already built) and measures the
// time from start to every resource healthy, and the time of the ordered stop. The first start of a state folder runs
// initdb (PostgreSQL uses WithDataVolume), so it is reported apart as the cold start; the medians are of warm runs.
using System.Diagnostics;
using System.Globalization;
using Platform.Hosting;
using Platform.Hosting.Testing;

var runs = args.SkipWhile(a => a != "--runs").Skip(1).Select(a => int.Parse(a, CultureInfo.InvariantCulture)).FirstOrDefault(5);
var state = Path.Combine(Path.GetTempPath(), "platform-bench-hosting-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
var starts = new List<double>();
var stops = new List<double>();
try
{
    for (var run = 0; run <= runs; run++)
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>([], (options, _) =>
        {
            options.StateDirectory = state;
            options.DeleteStateOnDispose = false;
            options.WaitForResourcesOnStart = TimeSpan.FromSeconds(60);
        });
        await using var app = await builder.BuildAsync();

        var sw = Stopwatch.StartNew();
        await app.StartAsync();
        var start = sw.Elapsed.TotalSeconds;
        var slowest = app.ResourceNotifications.GetSnapshots().MaxBy(s => s.StartedAt);

        sw.Restart();
        await app.StopAsync();
        var stop = sw.Elapsed.TotalSeconds;

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"run {run}{(run == 0 ? " (cold: initdb)" : string.Empty)}: start to all healthy {start:0.00} s (last to start: {slowest?.Name}), stop {stop:0.00} s"));
        if (run > 0)
        {
            starts.Add(start);
            stops.Add(stop);
        }
    }
}
finally
{
    if (Directory.Exists(state))
    {
        Directory.Delete(state, recursive: true);
    }
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
}

Console.WriteLine("target: start < 10 s, stop < 3 s (2-core machine)");
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"hosting start_s={Median(starts):0.00} stop_s={Median(stops):0.00}"));
