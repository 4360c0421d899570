using Platform.TestSupport;
using Web.Frontend.Tests.Infrastructure;

namespace Web.Frontend.Tests;

/// <summary>What a user of the dashboard sees of the whole system's traces, read from what the services export.</summary>
public sealed class TelemetryTests(EndToEnd e2e)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task ABetPlacedInTheBrowserIsOneTraceFromWebThroughBetsApiWithItsRedisAndSqliteSpansBeneath()
    {
        var (context, page, _) = await e2e.Browser.NewPageAsync(e2e.FrontendUrl, 1280, 1000);
        await using var __ = context;
        await BetsPage.SignInAndPlaceABetOfFiveDollarsAsync(page);

        string? missing = "no placement was exported";
        await WaitAsync(() => (missing = PlacementTraceFault()) is null, "one trace of the placement from web through bets-api", () => missing!);
    }

    [Fact]
    public async Task AMinuteOfTheRunningSystemRecordsNoTraceMadeOnlyOfRedisCommands()
    {
        // Background loops (price publishing and subscription, resolution, lease renewal, room sweeps) run all the while.
        var minute = e2e.StartedAt + TimeSpan.FromMinutes(1);
        await WaitAsync(() => DateTime.UtcNow > minute && e2e.Telemetry.Spans.Any(s => s.IsRedis), "a minute of the system with Redis spans exported",
            () => $"{e2e.Telemetry.Spans.Count(s => s.IsRedis)} Redis spans exported");

        var spans = e2e.Telemetry.Spans.ToList();
        var redisOnly = spans.GroupBy(s => s.TraceId).Where(t => t.All(s => s.IsRedis)).ToList();
        Assert.True(redisOnly.Count == 0,
            $"{redisOnly.Count} traces are Redis commands alone, e.g. {string.Join("; ", redisOnly.Take(5).Select(t => string.Join(" ", t.Select(s => $"{s.Service}: {s.Name} parent={s.ParentSpanId} {string.Join(",", s.Attributes.Select(a => a.Key + "=" + a.Value))}"))))}");
        Assert.DoesNotContain(spans, s => s.IsRedis && s.IsRoot);
    }

    // Null when some placement (201) is a trace that enters at web and reaches bets-api's POST /bets, with a Redis and
    // a SQLite span under that request; otherwise what is missing.
    private string? PlacementTraceFault()
    {
        var spans = e2e.Telemetry.Spans.ToList();
        var placements = spans.Where(s => s.Service == "bets-api" && s.Kind == ReceivedSpan.ServerKind && s.Name == "POST /bets"
            && s.Attributes.GetValueOrDefault("http.response.status_code") == "201").ToList();
        if (placements.Count == 0)
        {
            return "no successful POST /bets server span of bets-api was exported";
        }

        var fault = "";
        foreach (var placement in placements)
        {
            var trace = spans.Where(s => s.TraceId == placement.TraceId).ToDictionary(s => s.SpanId);
            var root = Ancestors(trace, placement).Last();
            var beneath = trace.Values.Where(s => Ancestors(trace, s).Contains(placement)).ToList();
            fault = root.Service != "web" || !root.IsRoot ? $"the placement's trace starts at {root.Service} {root.Name}, not at web"
                : !beneath.Any(s => s.IsRedis) ? "no Redis span under the placement"
                : !beneath.Any(s => s.Attributes.GetValueOrDefault("db.system.name") == "sqlite") ? "no SQLite span under the placement"
                : null;
            if (fault is null)
            {
                return null;
            }
        }

        return fault;
    }

    // The span itself, then its parents as far as they were exported.
    private static List<ReceivedSpan> Ancestors(Dictionary<string, ReceivedSpan> trace, ReceivedSpan span)
    {
        var chain = new List<ReceivedSpan> { span };
        while (trace.TryGetValue(chain[^1].ParentSpanId, out var parent) && chain.Count < 64)
        {
            chain.Add(parent);
        }

        return chain;
    }

    // The exporters send in batches, and the second test waits out its minute: a minute more than the usual ceiling.
    private static Task WaitAsync(Func<bool> condition, string what, Func<string> diagnostics) =>
        Eventually.UntilAsync(condition, what, TestContext.Current.CancellationToken, Timeout + TimeSpan.FromMinutes(1), diagnostics,
            interval: TimeSpan.FromMilliseconds(200));
}
