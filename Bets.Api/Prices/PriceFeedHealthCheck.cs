using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Bets.Api.Prices;

/// <summary>Degraded while there is no price or the latest one is stale: the service answers, but takes no bets.</summary>
internal sealed class PriceFeedHealthCheck(PriceFeed feed) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(feed.Current() switch
        {
            null => HealthCheckResult.Degraded($"no price on {PriceFeed.LatestKey} yet"),
            { Stale: true } r => HealthCheckResult.Degraded(string.Create(CultureInfo.InvariantCulture,
                $"the latest price is stale ({r.AgeMs / 1000.0:0.#} s old, published as '{r.Snapshot.Status}')")),
            _ => HealthCheckResult.Healthy(),
        });
}
