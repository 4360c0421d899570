using System.Net;
using System.Net.Http.Json;
using Aspire.Hosting.Testing;
using Microsoft.Playwright;
using StackExchange.Redis;

namespace Web.Frontend.Tests;

/// <summary>The betting page through the real system: development wallet sign-in, live grid, bets, refusals.</summary>
public sealed class BettingTests(EndToEnd e2e)
{
    [Fact]
    public async Task DevelopmentWalletSignsInPlacesABetAndSeesTheBalanceChange()
    {
        var (context, page, errors) = await e2e.Browser.NewPageAsync(e2e.FrontendUrl, 1280, 1000);
        await using var _ = context;
        await BetsPage.SignInAndPlaceABetOfFiveDollarsAsync(page);

        await Assertions.Expect(page.Locator("#my-bets tbody tr").First).ToContainTextAsync("open");

        await EndToEnd.ScreenshotAsync(page, "bets-desktop");
        await page.SetViewportSizeAsync(390, 844);
        await EndToEnd.ScreenshotAsync(page, "bets-phone");
        Assert.Empty(errors);
    }

    [Fact]
    public async Task RefusedBetsSayWhyInDollarsAndTheMessageGoesOnceItNoLongerApplies()
    {
        var (context, page, errors) = await e2e.Browser.NewPageAsync(e2e.FrontendUrl, 390, 844, mobile: true);
        await using var _ = context;
        await page.GotoAsync("/bets");
        await page.GetByRole(AriaRole.Button, new() { Name = "Use development wallet" }).ClickAsync();
        var balance = page.Locator("#balance");
        await Assertions.Expect(balance).ToHaveTextAsync("$0.00");
        var error = page.Locator("#bet-error");
        var stake = page.GetByLabel("Stake (USD)");

        // No funds yet: the refusal names both amounts in dollars, and goes as soon as the test funds cover the stake.
        await PlaceUntilRefusedAsync(page, "5", "Bet refused: The stake of $5.00 is more than your balance of $0.00.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Get test funds" }).ClickAsync();
        await Assertions.Expect(balance).ToHaveTextAsync("$1,000.00", new() { Timeout = 20_000 });
        await Assertions.Expect(error).ToHaveTextAsync("");

        // A stake under the minimum: the bounds in dollars (Bets.Api counts cents); the message goes with a stake in bounds.
        await PlaceUntilRefusedAsync(page, "0.50", "Bet refused: The stake must be between $1.00 and $1,000.00.");
        await stake.FillAsync("0.75");
        await Assertions.Expect(error).ToHaveTextAsync("Bet refused: The stake must be between $1.00 and $1,000.00.");
        await stake.FillAsync("5");
        await Assertions.Expect(error).ToHaveTextAsync("");
        await Assertions.Expect(balance).ToHaveTextAsync("$1,000.00");
        // The browser logs the refused requests (400, 422) itself; nothing else may fail.
        Assert.All(errors, e => Assert.True(e.Contains("400", StringComparison.Ordinal) || e.Contains("422", StringComparison.Ordinal), e));
    }

    [Fact]
    public async Task ChartOpensWithThePriceHistoryFromBeforeThePageWasOpened()
    {
        var (context, page, errors) = await e2e.Browser.NewPageAsync(e2e.FrontendUrl, 1280, 1000);
        await using var _ = context;
        // The feed has written prices:btc:usd:ts since the system started: wait until it holds a few seconds.
        await page.GotoAsync("/");
        var oldest = await (await page.WaitForFunctionAsync("""
            async () => {
              const history = await (await fetch('/api/bets/prices/history?minutes=5')).json();
              return history.length > 0 && Date.now() - history[0].timestamp >= 3000 ? history[0].timestamp : null;
            }
            """, null, new() { Timeout = 30_000, PollingInterval = 250 })).JsonValueAsync<double>();

        await page.GotoAsync("/bets");
        // Streamed prices alone would start the chart at the page's first tick, seconds after `oldest`.
        await page.WaitForFunctionAsync("oldest => { const c = window.betsChart && window.betsChart(); return !!c && c.firstTime !== null && c.firstTime <= oldest; }",
            Math.Floor(oldest / 1000), new() { Timeout = 20_000, PollingInterval = 100 });
        Assert.Empty(errors);
    }

    [Fact]
    public async Task PriceHistoryIsOnePointPerSecondAndRefusesASpanOutOfRange()
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = new HttpClient { BaseAddress = e2e.FrontendUrl };
        var history = await http.GetFromJsonAsync<PricePoint[]>("/api/bets/prices/history?minutes=2", ct);
        Assert.NotNull(history);
        Assert.NotEmpty(history);
        var seconds = history.Select(p => p.Timestamp / 1000).ToList();
        Assert.Equal(seconds.Order(), seconds);
        Assert.Equal(seconds.Count, seconds.Distinct().Count());
        Assert.All(history, p => Assert.True(p.Price > 0 && p.Timestamp >= DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 130_000));

        using var refused = await http.GetAsync(new Uri("/api/bets/prices/history?minutes=0", UriKind.Relative), ct);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("minutes must be between 1 and 60", await refused.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EveryGridColumnHasItsOwnLabelAndThePageSaysThePricesAreSimulated()
    {
        var (context, page, errors) = await e2e.Browser.NewPageAsync(e2e.FrontendUrl, 1280, 1000);
        await using var _ = context;
        await page.GotoAsync("/bets");
        var headings = page.Locator("#grid thead th.window");
        await headings.First.WaitForAsync(new() { Timeout = 30_000 });
        var labels = await headings.AllInnerTextsAsync();
        Assert.True(labels.Count >= 8, $"expected the grid's 8 windows, saw {labels.Count}");
        Assert.Equal(labels.Count, labels.Distinct().Count());
        // Prices.Ingest runs its seeded simulation by default; every price names its venues sim-1..sim-3.
        await Assertions.Expect(page.Locator("#feed-note")).ToContainTextAsync("Simulated prices: this feed is a seeded simulation (sim-1, sim-2, sim-3)");
        Assert.Empty(errors);
    }

    [Fact]
    public async Task AnEvictedSessionTakesTheBettingPageBackToSignInSayingToSignInAgain()
    {
        var ct = TestContext.Current.CancellationToken;
        var (context, page, errors) = await e2e.Browser.NewPageAsync(e2e.FrontendUrl, 1280, 1000);
        await using var _ = context;
        await page.GotoAsync("/bets");
        await page.GetByRole(AriaRole.Button, new() { Name = "Use development wallet" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "Wallet" }).WaitForAsync();
        var wallet = await page.EvaluateAsync<string>("() => JSON.parse(localStorage.getItem('bets.session')).wallet");

        // What allkeys-lru does to a session under memory pressure: the key is gone, and nobody is told.
        await using var redis = await ConnectionMultiplexer.ConnectAsync((await e2e.App.GetConnectionStringAsync("redis", ct))!);
        Assert.True(await redis.GetDatabase().KeyDeleteAsync($"session:{wallet}"));

        // The page asks for the balance every 5 s; the first answer after the eviction is the 401.
        await Assertions.Expect(page.Locator("#signed-out")).ToHaveTextAsync("Your session has expired. Sign in again to keep betting.", new() { Timeout = 20_000 });
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Use development wallet" })).ToBeVisibleAsync();
        Assert.Null(await page.EvaluateAsync<string?>("() => localStorage.getItem('bets.session')"));
        await EndToEnd.ScreenshotAsync(page, "bets-session-expired");
        // The browser logs the refused request (401) itself; nothing else may fail.
        Assert.All(errors, e => Assert.Contains("401", e, StringComparison.Ordinal));
    }

    /// <summary>Picks a bettable cell and places a bet until the page shows the expected refusal. A grid refresh can drop
    /// the pick, and the price can move past the cell ("not open now"): a person would pick again.</summary>
    private static async Task PlaceUntilRefusedAsync(IPage page, string stake, string expected)
    {
        var cells = page.Locator("#grid button.cell:not([disabled])");
        await cells.First.WaitForAsync(new() { Timeout = 30_000 });
        var error = page.Locator("#bet-error");
        for (var attempt = 1; ; attempt++)
        {
            await cells.Nth(await cells.CountAsync() / 2).ClickAsync();
            await page.GetByLabel("Stake (USD)").FillAsync(stake);
            await page.GetByRole(AriaRole.Button, new() { Name = "Place bet" }).ClickAsync();
            try
            {
                await Assertions.Expect(error).ToHaveTextAsync(expected);
                return;
            }
            catch (PlaywrightException) when (attempt < 3)
            {
                var reason = await error.InnerTextAsync();
                Assert.True(reason.Length == 0 || reason.Contains("Pick a cell", StringComparison.Ordinal) || reason.Contains("open now", StringComparison.Ordinal),
                    $"Unexpected refusal: {reason}");
            }
        }
    }

    private sealed record PricePoint(long Timestamp, decimal Price);
}
