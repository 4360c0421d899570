using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Platform.Hosting.Dashboard.Tests;

/// <summary>The pages in a real headless Chromium against a real run-mode application. Screenshots go to bin/.../artifacts.</summary>
public sealed class DashboardBrowserTests(HostedDashboardFixture fixture) : IClassFixture<HostedDashboardFixture>
{
    private static readonly LocatorAssertionsToHaveTextOptions Long = new() { Timeout = 30_000 };

    private async Task<(IBrowserContext Context, IPage Page, List<string> Errors)> SignInAsync(int width = 1280, int height = 800)
    {
        var context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, message) => { if (message.Type == "error") { lock (errors) { errors.Add(message.Text); } } };
        page.PageError += (_, error) => { lock (errors) { errors.Add(error); } };
        var response = await page.GotoAsync(fixture.Dashboard.LoginUrl.ToString());
        Assert.Equal(200, response!.Status);
        Assert.Equal(fixture.Dashboard.FrontendUrl.ToString(), page.Url.Split('#')[0]);
        return (context, page, errors);
    }

    private Task ShotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(fixture.Artifacts, name + ".png"), FullPage = true });

    [Fact]
    public async Task WithoutTheTokenTheBrowserGetsNoDashboard()
    {
        await using var context = await fixture.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        var response = await page.GotoAsync(fixture.Dashboard.FrontendUrl.ToString());
        Assert.Equal(401, response!.Status);
        await Expect(page.Locator("h1")).ToHaveTextAsync("Sign in required");
        Assert.Equal(401, (await page.GotoAsync(new Uri(fixture.Dashboard.FrontendUrl, "api/resources").ToString()))!.Status);
    }

    [Fact]
    public async Task ResourcesPageStopsAndStartsAResourceAndRevealsSecretsOnRequest()
    {
        var (context, page, errors) = await SignInAsync();
        await using var _ = context;
        var row = page.Locator("tr[data-resource='ticker']");
        await Expect(row.Locator("[data-testid=state]")).ToHaveTextAsync("Running", Long);
        await Expect(page.Locator("tr[data-resource='web']")).ToBeVisibleAsync();
        await ShotAsync(page, "resources");

        await row.Locator("button[data-command=stop]").ClickAsync();
        await Expect(row.Locator("[data-testid=state]")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("Exited|Finished"), Long);
        await ShotAsync(page, "resources-stopped");
        await row.Locator("button[data-command=start]").ClickAsync();
        await Expect(row.Locator("[data-testid=state]")).ToHaveTextAsync("Running", Long);

        await row.ClickAsync();
        var details = page.Locator("tr.details");
        await Expect(details).ToContainTextAsync("TICKER_MODE");
        await Expect(details).ToContainTextAsync("••••••••");
        await Expect(details).Not.ToContainTextAsync(HostedDashboardFixture.Secret);
        await details.Locator("[data-testid=reveal]").ClickAsync();
        await Expect(details).ToContainTextAsync(HostedDashboardFixture.Secret);
        await ShotAsync(page, "resource-details");
        Assert.Empty(errors);
    }

    [Fact]
    public async Task TraceWaterfallShowsSpansFromBothServices()
    {
        var (context, page, errors) = await SignInAsync();
        await using var _ = context;
        await page.GotoAsync(fixture.Dashboard.FrontendUrl + "#/traces");
        var trace = page.Locator($"tr[data-trace='{fixture.TraceId}']");
        await Expect(trace).ToContainTextAsync("web: POST /api/bets");
        await Expect(trace).ToContainTextAsync("bets-api");
        await ShotAsync(page, "traces");
        await trace.ClickAsync();
        await Expect(page.Locator("#waterfall .span-row")).ToHaveCountAsync(3);
        await Expect(page.Locator("#waterfall .span-row[data-service='web']")).ToHaveCountAsync(1);
        await Expect(page.Locator("#waterfall .span-row[data-service='bets-api']")).ToHaveCountAsync(2);
        await page.Locator("#waterfall .span-row", new() { HasText = "redis EVALSHA" }).ClickAsync();
        await Expect(page.Locator("#span-detail")).ToContainTextAsync("db.system");
        await ShotAsync(page, "trace-waterfall");
        Assert.Empty(errors);
    }

    [Fact]
    public async Task TraceListAddsALiveTraceWithoutRebuildingTheRowsThatDidNotChange()
    {
        var (context, page, errors) = await SignInAsync();
        await using var _ = context;
        await page.GotoAsync(fixture.Dashboard.FrontendUrl + "#/traces");
        var known = page.Locator($"tr[data-trace='{fixture.TraceId}']");
        await Expect(known).ToContainTextAsync("web: POST /api/bets");
        await known.EvaluateAsync("row => { row.dataset.marker = 'kept'; }");

        var added = fixture.SendTrace("prices-ingest", "GET /live-update-" + Guid.NewGuid().ToString("N")[..8]);
        await Expect(page.Locator($"tr[data-trace='{added}']")).ToContainTextAsync("prices-ingest: GET /live-update-", new() { Timeout = 30_000 });
        // The same element, not a re-rendered copy: focus, hover and text selection survive live updates.
        await Expect(known).ToHaveAttributeAsync("data-marker", "kept");
        Assert.Empty(errors);
    }

    [Fact]
    public async Task StructuredLogsFilterByLevelTextAndTrace()
    {
        var (context, page, errors) = await SignInAsync();
        await using var _ = context;
        await page.GotoAsync(fixture.Dashboard.FrontendUrl + "#/logs");
        var rows = page.Locator("#logs tr.log-row");
        await Expect(rows).ToHaveCountAsync(3);
        await page.Locator("#log-level").SelectOptionAsync("warning");
        await Expect(rows).ToHaveCountAsync(2);
        await page.Locator("#log-text").FillAsync("stale");
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.First).ToContainTextAsync("Price feed stale for 12s");
        await ShotAsync(page, "logs-filtered");

        // The log written inside the trace links to it, and the trace's logs link back.
        await page.GotoAsync(fixture.Dashboard.FrontendUrl + $"#/logs?traceId={fixture.TraceId}");
        await Expect(rows).ToHaveCountAsync(1);
        await rows.First.ClickAsync();
        await Expect(page.Locator("tr.details")).ToContainTextAsync("0xfeed");
        await rows.First.Locator($"a[href='#/traces/{fixture.TraceId}']").ClickAsync();
        await Expect(page.Locator("#waterfall")).ToBeVisibleAsync();
        Assert.Empty(errors);
    }

    [Fact]
    public async Task ConsoleLogsTailLiveAndSearch()
    {
        var (context, page, errors) = await SignInAsync();
        await using var _ = context;
        await page.GotoAsync(fixture.Dashboard.FrontendUrl + "#/console?resource=ticker");
        var console = page.Locator("#console");
        await Expect(console).ToContainTextAsync("tick");
        var before = await console.Locator("div").CountAsync();
        // New lines arrive without reloading.
        await Expect(console.Locator("div")).Not.ToHaveCountAsync(before, new() { Timeout = 30_000 });
        await page.Locator("#search").FillAsync("no line has this text");
        await Expect(console.Locator("div")).ToHaveCountAsync(0);
        await page.Locator("#search").FillAsync("tick");
        await Expect(console.Locator("div").First).ToContainTextAsync("tick");
        await ShotAsync(page, "console");
        Assert.Empty(errors);
    }

    [Fact]
    public async Task MetricsPageChartsAnInstrument()
    {
        var (context, page, errors) = await SignInAsync();
        await using var _ = context;
        await page.GotoAsync(fixture.Dashboard.FrontendUrl + "#/metrics?resource=bets-api");
        await Expect(page.Locator("#instruments")).ToContainTextAsync("bets.placed");
        await Expect(page.Locator("#chart svg.chart polyline")).ToHaveCountAsync(1);
        await Expect(page.Locator("#chart .legend")).ToContainTextAsync("6");
        await ShotAsync(page, "metrics");
        Assert.Empty(errors);
    }

    [Fact]
    public async Task EveryPageRendersAtPhoneWidthWithoutConsoleErrors()
    {
        var (context, page, errors) = await SignInAsync(390, 844);
        await using var _ = context;
        foreach (var (hash, check) in new[] { ("resources", "#resources"), ("console?resource=ticker", "#console"), ("logs", "#logs"), ("traces", "#traces"), ("metrics", "#chart") })
        {
            await page.GotoAsync(fixture.Dashboard.FrontendUrl + "#/" + hash);
            await Expect(page.Locator(check)).ToBeVisibleAsync();
            // Nothing wider than the phone: the page itself does not scroll sideways (tables scroll inside their box).
            var overflow = await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth > window.innerWidth + 1");
            Assert.False(overflow, $"{hash} overflows the phone width");
            await ShotAsync(page, "phone-" + hash.Split('?')[0]);
        }

        Assert.Empty(errors);
    }
}
