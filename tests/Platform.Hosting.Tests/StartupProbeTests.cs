using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Platform.Hosting.LocalRun;

namespace Platform.Hosting.Tests;

/// <summary>The AppHost's health checks, wrapped so that a resource is seen ready soon after it is.</summary>
public sealed class StartupProbeTests
{
    [Fact]
    public async Task AResourceThatBecomesReadyDuringACheckIsReportedHealthyByThatCheck()
    {
        var check = new ReadyAfter(calls: 3);
        using var services = Services(check, window: TimeSpan.FromSeconds(30));

        var report = await services.GetRequiredService<HealthCheckService>().CheckHealthAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HealthStatus.Healthy, report.Status);
        Assert.Equal(3, check.Calls);
    }

    [Fact]
    public async Task AResourceThatStaysUnhealthyIsReportedUnhealthyOnceTheWindowHasPassed()
    {
        var check = new ReadyAfter(calls: int.MaxValue);
        using var services = Services(check, window: TimeSpan.FromSeconds(1));

        var report = await services.GetRequiredService<HealthCheckService>().CheckHealthAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HealthStatus.Unhealthy, report.Status);
        Assert.Equal("not ready yet", report.Entries["resource"].Description);
        Assert.True(check.Calls > 1, "probed once only");
    }

    [Fact]
    public async Task ADegradedAnswerIsReturnedAtOnceNotProbedAgain()
    {
        var check = new ReadyAfter(calls: 1, whenReady: HealthCheckResult.Degraded("slow"));
        using var services = Services(check, window: TimeSpan.FromSeconds(30));

        var report = await services.GetRequiredService<HealthCheckService>().CheckHealthAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HealthStatus.Degraded, report.Status);
        Assert.Equal(1, check.Calls);
    }

    private static ServiceProvider Services(IHealthCheck check, TimeSpan window)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddHealthChecks().AddCheck("resource", check);
        StartupProbe.WrapAll(services, period: TimeSpan.FromMilliseconds(10), window);
        return services.BuildServiceProvider();
    }

    private sealed class ReadyAfter(int calls, HealthCheckResult? whenReady = null) : IHealthCheck
    {
        public int Calls { get; private set; }

        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(++Calls >= calls ? whenReady ?? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("not ready yet"));
    }
}
