using Microsoft.Playwright;

namespace Web.Frontend.Tests;

/// <summary>What a person does on the betting page, for the tests that need a bet on the books.</summary>
internal static class BetsPage
{
    /// <summary>Signs in with the development wallet, takes the $1,000 of test funds and bets $5 on an open cell.</summary>
    public static async Task SignInAndPlaceABetOfFiveDollarsAsync(IPage page)
    {
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
    }
}
