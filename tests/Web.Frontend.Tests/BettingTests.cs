using Microsoft.Playwright;

namespace Web.Frontend.Tests;

/// <summary>The betting page through the real system: development wallet sign-in, live grid, bets, refusals.</summary>
public sealed class BettingTests(EndToEnd e2e)
{
    [Fact]
    public async Task DevelopmentWalletSignsInPlacesABetAndSeesTheBalanceChange()
    {
        var (context, page, errors) = await e2e.Browser.NewPageAsync(e2e.FrontendUrl, 1280, 1000);
        await using var _ = context;
        await page.GotoAsync("/bets");
        await page.GetByText("Development wallet: its private key is generated and stored in this browser").WaitForAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Use development wallet" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "Wallet" }).WaitForAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Get test funds" }).ClickAsync();
        var balance = page.Locator("#balance");
        await Assertions.Expect(balance).ToHaveTextAsync("$1,000.00", new() { Timeout = 20_000 });

        // The grid is live: bettable cells appear once prices flow. A cell in the middle of the open range survives a
        // small price move; when the price moved past it anyway the API refuses the bet as "not open now", which is
        // right, and a person would pick again; any other refusal fails the test.
        var cells = page.Locator("#grid button.cell:not([disabled])");
        await cells.First.WaitForAsync(new() { Timeout = 30_000 });
        for (var attempt = 1; ; attempt++)
        {
            var count = await cells.CountAsync();
            await cells.Nth(count / 2).ClickAsync();
            await page.GetByLabel("Stake (USD)").FillAsync("5");
            await page.GetByRole(AriaRole.Button, new() { Name = "Place bet" }).ClickAsync();
            try
            {
                await Assertions.Expect(balance).ToHaveTextAsync("$995.00", new() { Timeout = 20_000 });
                break;
            }
            catch (PlaywrightException e)
            {
                var reason = await page.Locator("#bet-error").InnerTextAsync();
                if (attempt < 3 && reason.Contains("open now", StringComparison.Ordinal))
                {
                    continue;
                }

                throw new InvalidOperationException($"The balance did not change; the page says: {reason}", e);
            }
        }

        await Assertions.Expect(page.Locator("#my-bets tbody tr").First).ToContainTextAsync("open");

        await EndToEnd.ScreenshotAsync(page, "bets-desktop");
        await page.SetViewportSizeAsync(390, 844);
        await EndToEnd.ScreenshotAsync(page, "bets-phone");
        Assert.Empty(errors);
    }

    [Fact]
    public async Task RefusedBetShowsTheReasonAndDoesNotChangeTheBalance()
    {
        var (context, page, errors) = await e2e.Browser.NewPageAsync(e2e.FrontendUrl, 390, 844, mobile: true);
        await using var _ = context;
        await page.GotoAsync("/bets");
        await page.GetByRole(AriaRole.Button, new() { Name = "Use development wallet" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Get test funds" }).ClickAsync();
        var balance = page.Locator("#balance");
        await Assertions.Expect(balance).ToHaveTextAsync("$1,000.00", new() { Timeout = 20_000 });

        // A grid refresh after a price move can drop the picked cell (the page then asks for a pick again) or the
        // price can move past it (refused as "not open now"); a person would pick again. The stake refusal is the point.
        var cells = page.Locator("#grid button.cell:not([disabled])");
        await cells.First.WaitForAsync(new() { Timeout = 30_000 });
        var error = page.Locator("#bet-error");
        for (var attempt = 1; ; attempt++)
        {
            await cells.Nth(await cells.CountAsync() / 2).ClickAsync();
            await page.GetByLabel("Stake (USD)").FillAsync("0.50"); // under the minimum stake
            await page.GetByRole(AriaRole.Button, new() { Name = "Place bet" }).ClickAsync();
            try
            {
                await Assertions.Expect(error).ToContainTextAsync("Bet refused: The stake must be between");
                break;
            }
            catch (PlaywrightException) when (attempt < 3)
            {
                var reason = await error.InnerTextAsync();
                Assert.True(reason.Contains("Pick a cell", StringComparison.Ordinal) || reason.Contains("open now", StringComparison.Ordinal),
                    $"Unexpected refusal: {reason}");
            }
        }

        await Assertions.Expect(balance).ToHaveTextAsync("$1,000.00");
        // The browser logs the refused request (400) itself; nothing else may fail.
        Assert.All(errors, e => Assert.Contains("400", e, StringComparison.Ordinal));
    }
}
