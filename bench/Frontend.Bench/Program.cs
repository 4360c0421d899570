// ./platform bench frontend [--viewers 3] [--seconds 60] [--seek-every 12] [--voice-rounds 10]
// Headless Chromium contexts in one SyncWatch room play the test video through the whole system, the real AppHost
// started through the testing builder (Redis + Sentinel, PostgreSQL, two Sync.Api replicas behind their stable
// endpoint, Web.Frontend; Bets.Api and Prices.Ingest too, as the model runs them) while the host seeks
// now and then. Each player samples its drift from the room timeline every 50 ms while the room plays (not while it
// waits for members to buffer after a seek); the report is the p95 and p99 of |drift| per player and over all.
// Then every viewer presses "Join voice" at the same instant, round after round (fake microphones): the time from the
// press to each link's RTCPeerConnection reaching "connected", and how many rounds ended with every pair connected.
using System.Diagnostics;
using System.Globalization;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;
using Web.Frontend.Tests.Infrastructure;

var viewers = Arg("--viewers", 3);
var seconds = Arg("--seconds", 60);
var seekEvery = Arg("--seek-every", 12);
var voiceRounds = Arg("--voice-rounds", 10);
if (viewers is < 2 or > 4)
{
    throw new ArgumentOutOfRangeException(nameof(args), "--viewers is 2 to 4");
}

using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(seconds + 300 + voiceRounds * 40));
var ct = cts.Token;
Console.WriteLine($"frontend bench: {viewers} viewers, {seconds} s of playback, a seek every {seekEvery} s");

var startWatch = Stopwatch.StartNew();
var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(ct);
builder.WithPlatformTestDefaults(output: null);
// The AppHost's own log (resource logs, also while it disposes after the result line) would bury the figures.
builder.Services.AddLogging(logging => logging.ClearProviders());
await using var app = await builder.BuildAsync(ct);
await app.StartAndWaitForHealthyAsync(TimeSpan.FromMinutes(3), ct);
var frontendUrl = app.GetEndpoint("web", "http");
await using var browser = await Browser.LaunchAsync();
Console.WriteLine($"system and browser up in {startWatch.Elapsed.TotalSeconds:F1} s");

var pages = new List<(IBrowserContext Context, IPage Page)>();
try
{
    // The host creates the room and loads the test video; the others join by the share link.
    var (hostContext, host, _) = await browser.NewPageAsync(frontendUrl, 1280, 800);
    pages.Add((hostContext, host));
    await host.GotoAsync("/watch");
    await host.GetByLabel("Your display name").FillAsync("Viewer 1");
    await host.GetByRole(AriaRole.Button, new() { Name = "Create room" }).ClickAsync();
    await host.WaitForURLAsync("**/watch/*");
    await host.Locator(".connection").GetByText("Connected", new() { Exact = true }).WaitForAsync();
    var shareLink = await host.Locator("#share-link").InputValueAsync();
    await host.GetByRole(AriaRole.Button, new() { Name = "Play now" }).ClickAsync();
    await WaitAsync(host, "d => d.mediaUrl !== null && !d.waiting");
    for (var i = 2; i <= viewers; i++)
    {
        var (context, page, _) = await browser.NewPageAsync(frontendUrl, 640, 480);
        pages.Add((context, page));
        await page.GotoAsync(shareLink);
        await page.GetByLabel("Your display name").FillAsync($"Viewer {i}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Join room" }).ClickAsync();
        await page.Locator(".connection").GetByText("Connected", new() { Exact = true }).WaitForAsync();
    }

    if (await host.Locator("#play-toggle").GetAttributeAsync("aria-label") != "Pause for everyone")
    {
        await host.Locator("#play-toggle").ClickAsync();
    }

    foreach (var (_, page) in pages)
    {
        await WaitAsync(page, "d => d.playing && !d.waiting && !d.paused");
        await page.EvaluateAsync("""
            () => {
              window.__drift = [];
              setInterval(() => {
                const d = window.syncwatch && window.syncwatch();
                if (d && d.playing && !d.waiting && d.expectedMs !== null) window.__drift.push(d.positionMs - d.expectedMs);
              }, 50);
            }
            """);
    }

    var random = new Random(7);
    var run = Stopwatch.StartNew();
    var seeks = 0;
    for (var at = seekEvery; at < seconds; at += seekEvery)
    {
        await Task.Delay(TimeSpan.FromSeconds(at) - run.Elapsed, ct);
        var target = random.Next(5, 95) * 1000;
        await host.Locator("#seek").FillAsync(target.ToString(CultureInfo.InvariantCulture));
        seeks++;
        Console.WriteLine($"  seek {seeks} to {target / 1000} s at {run.Elapsed.TotalSeconds:F0} s");
    }

    await Task.Delay(TimeSpan.FromSeconds(seconds) - run.Elapsed, ct);

    var all = new List<double>();
    for (var i = 0; i < pages.Count; i++)
    {
        var samples = (await pages[i].Page.EvaluateAsync<double[]>("() => window.__drift.splice(0)")).Select(Math.Abs).ToList();
        all.AddRange(samples);
        Console.WriteLine($"viewer {i + 1}: samples={samples.Count} p50_ms={P(samples, 50):F1} p95_ms={P(samples, 95):F1} p99_ms={P(samples, 99):F1} max_ms={(samples.Count > 0 ? samples.Max() : 0):F1}");
    }

    Console.WriteLine($"seeks={seeks} samples={all.Count} (targets: p95 < 100 ms, p99 < 250 ms)");

    var (connectMs, connectedRounds) = await VoiceRoundsAsync(pages.Select(p => p.Page).ToList(), voiceRounds);
    Console.WriteLine($"voice: {connectedRounds}/{voiceRounds} simultaneous-join rounds with every pair connected; press to connected p50_ms={P(connectMs, 50):F0} " +
                      $"p95_ms={P(connectMs, 95):F0} max_ms={(connectMs.Count > 0 ? connectMs.Max() : double.NaN):F0} over {connectMs.Count} links (target: every round connects)");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"frontend drift_p95_ms={P(all, 95):F1} drift_p99_ms={P(all, 99):F1} voice_connect_p95_ms={P(connectMs, 95):F0} voice_rounds_connected={connectedRounds}/{voiceRounds}"));
}
finally
{
    foreach (var (context, _) in pages)
    {
        await context.CloseAsync();
    }
}

// Every viewer clicks "Join voice" at one wall-clock instant (the contexts share the machine's clock), then waits until
// each page has a connected link to every other viewer; then all leave and wait for the room's voice list to empty.
static async Task<(List<double> ConnectMs, int ConnectedRounds)> VoiceRoundsAsync(List<IPage> pages, int rounds)
{
    var connectMs = new List<double>();
    var connected = 0;
    for (var round = 1; round <= rounds; round++)
    {
        var at = await pages[0].EvaluateAsync<double>("() => Date.now() + 250");
        await Task.WhenAll(pages.Select(p => p.EvaluateAsync("at => setTimeout(() => document.getElementById('voice-toggle').click(), at - Date.now())", at)));
        try
        {
            await Task.WhenAll(pages.Select(p => p.WaitForFunctionAsync(
                "n => { const d = window.syncwatch && window.syncwatch(); return !!d && d.voiceActive && d.voiceLinks.length === n && d.voiceLinks.every(l => l.state === 'connected'); }",
                pages.Count - 1, new() { Timeout = 30_000, PollingInterval = 20 })));
            connected++;
            foreach (var page in pages)
            {
                var times = await page.EvaluateAsync<double[]>("() => window.syncwatch().voiceLinks.map(l => l.connectedAtMs)");
                connectMs.AddRange(times.Select(t => t - at));
            }
        }
        catch (PlaywrightException e)
        {
            Console.WriteLine($"  voice round {round}: not every pair connected within 30 s ({e.Message.Split('\n')[0]})");
        }

        foreach (var page in pages)
        {
            await page.EvaluateAsync("() => { const b = document.getElementById('voice-toggle'); if (b.textContent === 'Leave voice') b.click(); }");
        }

        await Task.WhenAll(pages.Select(p => p.WaitForFunctionAsync(
            "() => { const d = window.syncwatch && window.syncwatch(); return !!d && !d.voiceActive && d.inVoice === 0; }",
            null, new() { Timeout = 30_000, PollingInterval = 20 })));
    }

    return (connectMs, connected);
}

static double P(List<double> values, double percentile)
{
    if (values.Count == 0)
    {
        return double.NaN;
    }

    var sorted = values.Order().ToArray();
    var rank = (int)Math.Ceiling(percentile / 100 * sorted.Length) - 1;
    return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
}

int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}

static async Task WaitAsync(IPage page, string predicate)
{
    await page.WaitForFunctionAsync($"() => {{ const d = window.syncwatch && window.syncwatch(); return !!d && ({predicate})(d); }}",
        null, new() { Timeout = 30_000, PollingInterval = 100 });
}
