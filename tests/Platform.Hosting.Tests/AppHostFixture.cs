using Aspire.Hosting.Testing;

namespace Platform.Hosting.Tests;

/// <summary>The real AppHost started once for a collection through the testing builder.</summary>
public abstract class RunningAppHost(bool enableDashboard) : IAsyncLifetime
{
    public DistributedApplication App { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            new DistributedApplicationTestingBuilderOptions { EnableDashboard = enableDashboard }, [], ct);
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

        GC.SuppressFinalize(this);
    }
}

/// <summary>The AppHost as a user runs it, dashboard included; its tests only read, so they share it.</summary>
public sealed class AppHostFixture() : RunningAppHost(enableDashboard: true);

/// <summary>
/// An AppHost of its own for the tests that kill, stop and fail over its parts, so that no other test ever sees
/// the system halfway through a fault.
/// </summary>
public sealed class FaultAppHostFixture() : RunningAppHost(enableDashboard: false);

[CollectionDefinition(nameof(AppHostCollection))]
public sealed class AppHostCollection : ICollectionFixture<AppHostFixture>;

[CollectionDefinition(nameof(FaultCollection))]
public sealed class FaultCollection : ICollectionFixture<FaultAppHostFixture>;
