using Aspire.Hosting.Testing;

namespace Platform.Faults.Tests;

/// <summary>The real AppHost through the testing builder, with the guest sessions the room's viewers reuse.</summary>
public sealed class FaultAppHost : IAsyncLifetime
{
    private DistributedApplication? _app;

    public FaultScenario.FaultScenario Scenario { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            new DistributedApplicationTestingBuilderOptions { EnableDashboard = false }, [], ct);
        builder.WithPlatformTestDefaults();
        _app = await builder.BuildAsync(ct);
        await _app.StartAndWaitForHealthyAsync(TimeSpan.FromMinutes(3), ct);
        Scenario = await FaultScenario.FaultScenario.CreateAsync(_app, line => TestContext.Current.TestOutputHelper?.WriteLine(line), ct);
    }

    public async ValueTask DisposeAsync()
    {
        Scenario?.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}

[CollectionDefinition(nameof(FaultSuite))]
public sealed class FaultSuite : ICollectionFixture<FaultAppHost>;
