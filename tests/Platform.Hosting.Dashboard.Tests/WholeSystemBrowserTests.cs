using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Platform.Hosting.ApplicationModel;
using Platform.Hosting.Testing;
using static Microsoft.Playwright.Assertions;

namespace Platform.Hosting.Dashboard.Tests;

/// <summary>
/// The dashboard of the real AppHost (every service, Redis with Sentinels, PostgreSQL) started through the testing
/// builder, in a real headless Chromium: telemetry from the services themselves, not from the test.
/// </summary>
public sealed class WholeSystemBrowserTests
{
    private static readonly LocatorAssertionsToHaveTextOptions Long = new() { Timeout = 30_000 };
    private static readonly LocatorAssertionsToContainTextOptions LongContains = new() { Timeout = 30_000 };
    private static readonly string Artifacts = Path.Combine(AppContext.BaseDirectory, "artifacts", "screenshots");

    [Fact]
    public async Task DashboardOfTheWholeSystemShowsHealthControlsResourcesAndTracesARequestAcrossServices()
    {
        var ct = TestContext.Current.CancellationToken;
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(ct);
        await using var app = await builder.BuildAsync(ct);
        await app.StartAsync(ct).WaitAsync(TimeSpan.FromMinutes(2), ct);
        var dashboard = app.GetDashboard();
        Assert.NotNull(dashboard);

        // The testing builder's random ports apply to the dashboard too, and every project exports to its receiver.
        Assert.NotEqual(18888, dashboard.FrontendUrl.Port);
        Assert.NotEqual(18890, dashboard.OtlpHttpEndpoint!.Port);
        var snapshots = app.ResourceNotifications.GetSnapshots();
        foreach (var project in snapshots.Where(s => s.ResourceType == "Project"))
        {
            foreach (var instance in project.Instances)
            {
                var otlp = instance.Environment.SingleOrDefault(e => e.Name == "OTEL_EXPORTER_OTLP_ENDPOINT");
                Assert.True(otlp is not null && new Uri(otlp.Value!).Port == dashboard.OtlpHttpEndpoint.Port, $"{instance.Name} exports to {otlp?.Value ?? "nothing"}");
            }
        }

        // A request through the system, with a trace id chosen here: web's proxy forwards it to Bets.Api.
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        using (var http = app.CreateHttpClient("web"))
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/api/bets/grid"))
        {
            request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
            using var response = await http.SendAsync(request, ct).WaitAsync(TimeSpan.FromSeconds(10), ct);
            Assert.True(response.IsSuccessStatusCode, $"GET /api/bets/grid through web: {(int)response.StatusCode}");
        }

        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        using var playwright = await Playwright.CreateAsync().WaitAsync(TimeSpan.FromSeconds(60), ct);
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        }).WaitAsync(TimeSpan.FromSeconds(60), ct);
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
        context.SetDefaultTimeout(20_000);
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, message) => { if (message.Type == "error") { lock (errors) { errors.Add(message.Text); } } };
        page.PageError += (_, error) => { lock (errors) { errors.Add(error); } };
        Directory.CreateDirectory(Artifacts);

        // Sign in with the token; every resource of the model is listed, running and healthy.
        Assert.Equal(200, (await page.GotoAsync(dashboard.LoginUrl.ToString()))!.Status);
        foreach (var resource in snapshots)
        {
            var row = page.Locator($"tr[data-resource='{resource.Name}']");
            await Expect(row.Locator("[data-testid=state]")).ToHaveTextAsync("Running", Long);
            await Expect(row.Locator("[data-testid=health]")).ToHaveTextAsync("Healthy", Long);
        }

        await Expect(page.Locator("tr[data-resource]")).ToHaveCountAsync(snapshots.Count);
        Assert.Contains(snapshots, s => s.Name == "web");
        await ShotAsync(page, "system-resources");

        // Stop and start a service from the page.
        var prices = page.Locator("tr[data-resource='prices-ingest']");
        await prices.Locator("button[data-command=stop]").ClickAsync();
        await Expect(prices.Locator("[data-testid=state]")).ToHaveTextAsync(new Regex("Exited|Finished"), Long);
        await ShotAsync(page, "system-resources-stopped");
        await prices.Locator("button[data-command=start]").ClickAsync();
        await Expect(prices.Locator("[data-testid=state]")).ToHaveTextAsync("Running", Long);
        await Expect(prices.Locator("[data-testid=health]")).ToHaveTextAsync("Healthy", Long);
        await app.ResourceNotifications.WaitForResourceHealthyAsync("prices-ingest", ct).WaitAsync(TimeSpan.FromSeconds(30), ct);

        // The request's trace holds spans of web and of bets-api.
        await page.GotoAsync(dashboard.FrontendUrl + "#/traces");
        var trace = page.Locator($"tr[data-trace='{traceId}']");
        await Expect(trace).ToContainTextAsync("bets-api", LongContains);
        await Expect(trace).ToContainTextAsync("web");
        await ShotAsync(page, "system-traces");
        await trace.ClickAsync();
        await Expect(page.Locator("#waterfall .span-row[data-service='web']").First).ToBeVisibleAsync();
        await Expect(page.Locator("#waterfall .span-row[data-service='bets-api']").First).ToBeVisibleAsync();
        await Expect(page.Locator("#waterfall .span-row[data-service='bets-api']", new() { HasText = "GET /grid" })).ToHaveCountAsync(1);
        await ShotAsync(page, "system-trace-waterfall");

        // Structured logs from the services, filtered by resource, level and text.
        await page.GotoAsync(dashboard.FrontendUrl + "#/logs");
        var rows = page.Locator("#logs tr.log-row");
        await page.Locator("#log-resource").SelectOptionAsync("bets-api");
        await page.Locator("#log-text").FillAsync("Now listening on");
        await Expect(rows.First).ToContainTextAsync("Now listening on", LongContains);
        Assert.All(await rows.AllInnerTextsAsync(), r => Assert.Contains("bets-api", r, StringComparison.Ordinal));
        await ShotAsync(page, "system-logs-filtered");
        await page.Locator("#log-level").SelectOptionAsync("warning");
        await Expect(rows).ToHaveCountAsync(0);

        Assert.Empty(errors);
    }

    private static Task ShotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts, name + ".png"), FullPage = true });
}
