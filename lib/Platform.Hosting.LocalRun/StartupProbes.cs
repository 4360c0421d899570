using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Platform.Hosting.LocalRun;

/// <summary>
/// Aspire checks an unhealthy resource again after 1, 2, 3, 4, then every 5 s, so a resource that becomes ready 3.1 s
/// after it started is reported healthy at 6 s, and whatever waits for it starts that much later. Like a Kubernetes
/// probe with a short period, an unhealthy check is tried again every <c>period</c> within the same call, and the first
/// answer that is not Unhealthy is returned at once. Until the check has first passed (a start, like a Kubernetes
/// startup probe) it keeps trying for up to <c>startWindow</c>, each try cut off after <c>startTimeout</c>; after that
/// for up to <c>window</c>, so that a resource that fails later is reported unhealthy soon.
/// </summary>
/// <remarks>
/// The cut-off is for DCP's proxy in front of a project: it accepts a connection before the service listens and holds
/// the request, retrying the service at intervals of its own, so the first HTTP check of a starting project hung for
/// up to 8 s after the service was answering. A new request reaches it at once. Should a resource need longer than the
/// cut-off to answer while it starts, the cut-off doubles after each call in which it stopped a try.
/// </remarks>
internal sealed class StartupProbe(IHealthCheck check, ProbeOptions options, ProbeHistory history, TimeProvider time) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var starting = !history.HasPassed;
        var until = time.GetUtcNow() + (starting ? options.StartWindow : options.Window);
        var cutOff = starting ? history.StartTimeout ?? options.StartTimeout : Timeout.InfiniteTimeSpan;
        var cut = false;
        while (true)
        {
            HealthCheckResult result;
            using (var attempt = new CancellationTokenSource(cutOff, time))
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(attempt.Token, cancellationToken))
            {
                try
                {
                    result = await check.CheckHealthAsync(context, linked.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    result = HealthCheckResult.Unhealthy($"no answer within {cutOff.TotalSeconds:0.#} s");
                }

                cut |= attempt.IsCancellationRequested;
            }

            if (result.Status != HealthStatus.Unhealthy || time.GetUtcNow() + options.Period >= until)
            {
                history.HasPassed |= result.Status == HealthStatus.Healthy;
                if (starting && result.Status == HealthStatus.Unhealthy && cut)
                {
                    history.StartTimeout = cutOff * 2;
                }

                return result;
            }

            await Task.Delay(options.Period, time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Wraps every health check registered in the AppHost.</summary>
    public static void WrapAll(IServiceCollection services, ProbeOptions options) =>
        services.PostConfigure<HealthCheckServiceOptions>(registrations =>
        {
            foreach (var registration in registrations.Registrations)
            {
                // A registration's factory runs for every check; what it has seen is kept beside it.
                var create = registration.Factory;
                var history = new ProbeHistory();
                registration.Factory = provider => new StartupProbe(create(provider), options, history,
                    provider.GetService<TimeProvider>() ?? TimeProvider.System);
            }
        });
}

internal sealed record ProbeOptions(TimeSpan Period, TimeSpan Window, TimeSpan StartWindow, TimeSpan StartTimeout);

/// <summary>What one health check has shown so far; its calls do not overlap.</summary>
internal sealed class ProbeHistory
{
    public bool HasPassed { get; set; }

    public TimeSpan? StartTimeout { get; set; }
}
