using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Web.Frontend.Tests.Infrastructure;

[assembly: AssemblyFixture(typeof(Web.Frontend.Tests.EndToEnd))]

namespace Web.Frontend.Tests;

/// <summary>
/// One whole system (the real AppHost through the testing builder: Redis with a replica and Sentinels, PostgreSQL,
/// Prices.Ingest, Bets.Api, two Sync.Api replicas, Web.Frontend) and one browser for every end-to-end test of the assembly.
/// </summary>
public sealed class EndToEnd : IAsyncLifetime
{
    public DistributedApplication App { get; private set; } = null!;

    /// <summary>The front end's address. Its host is exactly the one Bets.Api's sign-in domain names (localhost:port).</summary>
    public Uri FrontendUrl { get; private set; } = null!;

    public Browser Browser { get; private set; } = null!;

    /// <summary>Every span the services exported since the system started.</summary>
    public OtlpReceiver Telemetry { get; private set; } = null!;

    /// <summary>When every resource was healthy.</summary>
    public DateTime StartedAt { get; private set; }

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        var browser = Browser.LaunchAsync();
        Telemetry = await OtlpReceiver.StartAsync(ct);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(ct);
        builder.WithPlatformTestDefaults();
        // The services export to this test instead of a dashboard.
        foreach (var project in builder.Resources.OfType<ProjectResource>().ToList())
        {
            builder.CreateResourceBuilder(project)
                .WithEnvironment("OTEL_EXPORTER_OTLP_ENDPOINT", Telemetry.Url.ToString().TrimEnd('/'))
                .WithEnvironment("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
                .WithEnvironment("OTEL_BSP_SCHEDULE_DELAY", "500");
        }

        App = await builder.BuildAsync(ct);
        await App.StartAndWaitForHealthyAsync(TimeSpan.FromMinutes(3), ct);
        StartedAt = DateTime.UtcNow;
        FrontendUrl = App.GetEndpoint("web", "http");
        Browser = await browser.WaitAsync(TimeSpan.FromSeconds(60), ct);
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        if (App is not null)
        {
            await App.DisposeAsync();
        }

        if (Telemetry is not null)
        {
            await Telemetry.DisposeAsync();
        }
    }

    /// <summary>Keeps a screenshot as a test artifact (artifacts/Web.Frontend.Tests/screenshots).</summary>
    public static async Task ScreenshotAsync(Microsoft.Playwright.IPage page, string name)
    {
        var path = Path.Combine(Repo.ArtifactsFolder("screenshots"), name + ".png");
        await page.ScreenshotAsync(new() { Path = path, FullPage = true });
        TestContext.Current.AddAttachment(name, path);
    }
}
