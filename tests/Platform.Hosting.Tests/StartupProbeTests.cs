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
    public async Task UntilACheckHasFirstPassedItIsTriedForTheLongerStartWindow()
    {
        // The window alone would allow one try; the start window allows the five this resource needs.
        var check = new ReadyAfter(calls: 5);
        using var services = Services(check, window: TimeSpan.Zero, startWindow: TimeSpan.FromSeconds(30));

        var report = await services.GetRequiredService<HealthCheckService>().CheckHealthAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HealthStatus.Healthy, report.Status);
        Assert.Equal(5, check.Calls);
    }

    [Fact]
    public async Task ATryThatHangsWhileTheResourceStartsIsCutOffAndTriedAgain()
    {
        var check = new HangsFirst();
        using var services = Services(check, window: TimeSpan.Zero, startWindow: TimeSpan.FromSeconds(30), startTimeout: TimeSpan.FromMilliseconds(50));

        var report = await services.GetRequiredService<HealthCheckService>().CheckHealthAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HealthStatus.Healthy, report.Status);
        Assert.Equal(2, check.Calls);
    }

    [Fact]
    public async Task OnceACheckHasPassedALaterFailureIsReportedWithinTheShortWindow()
    {
        var check = new ReadyAfter(calls: 1);
        using var services = Services(check, window: TimeSpan.Zero, startWindow: TimeSpan.FromSeconds(30));
        var health = services.GetRequiredService<HealthCheckService>();
        Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync(TestContext.Current.CancellationToken)).Status);

        check.Fail();
        var report = await health.CheckHealthAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HealthStatus.Unhealthy, report.Status);
        Assert.Equal(2, check.Calls);
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

    private static ServiceProvider Services(IHealthCheck check, TimeSpan window, TimeSpan? startWindow = null, TimeSpan? startTimeout = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddHealthChecks().AddCheck("resource", check);
        StartupProbe.WrapAll(services, new ProbeOptions(Period: TimeSpan.FromMilliseconds(10), window, startWindow ?? window, StartTimeout: startTimeout ?? TimeSpan.FromSeconds(30)));
        return services.BuildServiceProvider();
    }

    private sealed class ReadyAfter(int calls, HealthCheckResult? whenReady = null) : IHealthCheck
    {
        private bool _failed;

        public int Calls { get; private set; }

        public void Fail() => _failed = true;

        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(++Calls >= calls && !_failed ? whenReady ?? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("not ready yet"));
    }

    /// <summary>Like a request held by a proxy in front of a service that does not listen yet: the first try never ends by itself.</summary>
    private sealed class HangsFirst : IHealthCheck
    {
        public int Calls { get; private set; }

        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            if (++Calls == 1)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            return HealthCheckResult.Healthy();
        }
    }
}
