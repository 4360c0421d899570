using Web.Frontend.Tests.Infrastructure;

[assembly: AssemblyFixture(typeof(Web.Frontend.Tests.EndToEnd))]

namespace Web.Frontend.Tests;

/// <summary>One system and one browser for every end-to-end test of the assembly.</summary>
public sealed class EndToEnd : IAsyncLifetime
{
    public PlatformSystem System { get; } = new();

    public Browser Browser { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var browser = Browser.LaunchAsync();
        await System.StartAsync(TestContext.Current.CancellationToken);
        Browser = await browser;
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        await System.DisposeAsync();
    }

    /// <summary>Keeps a screenshot as a test artifact (artifacts/Web.Frontend.Tests/screenshots).</summary>
    public static async Task ScreenshotAsync(Microsoft.Playwright.IPage page, string name)
    {
        var path = Path.Combine(Repo.ArtifactsFolder("screenshots"), name + ".png");
        await page.ScreenshotAsync(new() { Path = path, FullPage = true });
        TestContext.Current.AddAttachment(name, path);
    }
}
