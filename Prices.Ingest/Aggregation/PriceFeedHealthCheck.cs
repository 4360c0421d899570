using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Prices.Ingest.Publishing;

namespace Prices.Ingest.Aggregation;

/// <summary>What the aggregation loop last did, for the health check.</summary>
public sealed class PriceFeedState
{
    private long _lastEmitMs;
    private string _lastStatus = PriceStatus.Stale;

    public long LastEmitMs => Volatile.Read(ref _lastEmitMs);

    public string LastStatus => Volatile.Read(ref _lastStatus);

    internal void Emitted(long atMs, string status)
    {
        Volatile.Write(ref _lastStatus, status);
        Volatile.Write(ref _lastEmitMs, atMs);
    }
}

/// <summary>
/// Readiness of the feed: unhealthy when nothing was aggregated for three cadences, degraded while the price is stale.
/// Standbys report whether they hold the writer lease in the data, not as a failure: a standby is healthy.
/// </summary>
public sealed class PriceFeedHealthCheck(PriceFeedState state, IWriterLease lease, IOptions<AggregationOptions> options, TimeProvider time) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>
        {
            ["writer"] = lease.Owner,
            ["leaseholder"] = lease.IsHeld,
            ["status"] = state.LastStatus,
            ["lastEmitMs"] = state.LastEmitMs,
        };
        var silence = time.GetUtcNow().ToUnixTimeMilliseconds() - state.LastEmitMs;
        var result = silence > 3 * options.Value.EmitInterval.TotalMilliseconds
            ? HealthCheckResult.Unhealthy($"no aggregated price for {silence} ms", data: data)
            : state.LastStatus == PriceStatus.Stale
                ? HealthCheckResult.Degraded("the aggregated price is stale (too few fresh, agreeing sources)", data: data)
                : HealthCheckResult.Healthy("prices flowing", data);
        return Task.FromResult(result);
    }
}
