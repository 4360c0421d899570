using Aspire.Hosting;
using Aspire.Hosting.Testing;

namespace Platform.Hosting.Tests;

/// <summary>The real AppHost, with the dashboard, started once for the collection through the testing builder.</summary>
public sealed class AppHostFixture : IAsyncLifetime
{
    public DistributedApplication App { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            new DistributedApplicationTestingBuilderOptions { EnableDashboard = true }, [], ct);
        builder.WithPlatformTestDefaults();
        App = await builder.BuildAsync(ct);
        await App.StartAndWaitForHealthyAsync(TimeSpan.FromMinutes(3), ct);
    }

    public async ValueTask DisposeAsync()
    {
        if (App is not null)
        {
            await App.DisposeAsync();
        }
    }
}

[CollectionDefinition(nameof(AppHostCollection))]
public sealed class AppHostCollection : ICollectionFixture<AppHostFixture>;
