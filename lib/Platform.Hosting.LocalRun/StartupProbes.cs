using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Platform.Hosting.LocalRun;

/// <summary>
/// Aspire checks an unhealthy resource again after 1, 2, 3, 4, then every 5 s, so a resource that becomes ready 3.1 s
/// after it started is reported healthy at 6 s, and whatever waits for it starts that much later. Like a Kubernetes
/// probe with a short period, an unhealthy check is tried again every <c>period</c> within the same call, for up to
/// <c>window</c>, and the first answer that is not Unhealthy is returned at once.
/// </summary>
internal sealed class StartupProbe(IHealthCheck check, TimeSpan period, TimeSpan window, TimeProvider time) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var until = time.GetUtcNow() + window;
        var result = await check.CheckHealthAsync(context, cancellationToken).ConfigureAwait(false);
        while (result.Status == HealthStatus.Unhealthy && time.GetUtcNow() + period < until)
        {
            await Task.Delay(period, time, cancellationToken).ConfigureAwait(false);
            result = await check.CheckHealthAsync(context, cancellationToken).ConfigureAwait(false);
        }

        return result;
    }

    /// <summary>Wraps every health check registered in the AppHost.</summary>
    public static void WrapAll(IServiceCollection services, TimeSpan period, TimeSpan window) =>
        services.PostConfigure<HealthCheckServiceOptions>(options =>
        {
            foreach (var registration in options.Registrations)
            {
                var create = registration.Factory;
                registration.Factory = provider => new StartupProbe(create(provider), period, window,
                    provider.GetService<TimeProvider>() ?? TimeProvider.System);
            }
        });
}
