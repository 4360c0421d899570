using Aspire.Hosting.Testing;
using Microsoft.Playwright;

namespace Platform.Hosting.Tests;

/// <summary>The real Aspire dashboard of the running AppHost, read as a person reads it: in a browser.</summary>
[Collection(nameof(AppHostCollection))]
public sealed class DashboardTests(AppHostFixture fixture) : IAsyncLifetime
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;

    public async ValueTask InitializeAsync()
    {
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }

    [Fact]
    public async Task TheResourcesPageListsEveryResource()
    {
        var page = await LoggedInPageAsync();
        foreach (var name in new[] { "redis", "redis-0", "redis-1", "redis-sentinel-0", "postgres", "syncdb", "prices-ingest", "bets-api", "sync-api", "web" })
        {
            // sync-api shows as its replicas, sync-api-<suffix>.
            await Assertions.Expect(page.GetByRole(AriaRole.Gridcell).GetByText(name, new() { Exact = name != "sync-api" }).First)
                .ToBeVisibleAsync(new() { Timeout = 30_000 });
        }
    }

    [Fact]
    public async Task ARequestThroughTheWebProxyShowsAsOneTraceFromWebToBetsApi()
    {
        using var http = fixture.App.CreateHttpClient("web");
        var response = await http.GetAsync(new Uri("/api/bets/prices/latest", UriKind.Relative), Token);
        Assert.True(response.IsSuccessStatusCode, $"the proxied request answered {response.StatusCode}");

        var page = await LoggedInPageAsync();
        await page.GotoAsync(new Uri(new Uri(page.Url), "/traces").ToString());
        // A trace row names every resource its spans come from.
        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "web" }).Filter(new() { HasText = "bets-api" });
        await Assertions.Expect(row.First).ToBeVisibleAsync(new() { Timeout = 60_000 });
    }

    [Fact]
    public async Task StructuredLogsAreKeptPerResource()
    {
        var page = await LoggedInPageAsync();
        await page.GotoAsync(new Uri(new Uri(page.Url), "/structuredlogs/resource/bets-api").ToString());
        await Assertions.Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "bets-api" }).First).ToBeVisibleAsync(new() { Timeout = 60_000 });
    }

    private async Task<IPage> LoggedInPageAsync()
    {
        // The URL carries the login token; the dashboard answers with its session cookie and the resources page.
        var login = await fixture.App.GetDashboardUrlAsync(Token);
        var page = await _browser.NewPageAsync();
        await page.GotoAsync(login.ToString());
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Resources" })).ToBeVisibleAsync(new() { Timeout = 30_000 });
        return page;
    }
}
