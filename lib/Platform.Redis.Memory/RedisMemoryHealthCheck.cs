using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Platform.Redis.Memory;

/// <summary>
/// Degraded (never Unhealthy: the service still answers, and a restart would not bring the keys back) while Redis
/// evicted keys within <see cref="RedisMemoryOptions.EvictionWindow"/>, or while it uses more than
/// <see cref="RedisMemoryOptions.HighWaterMark"/> of <c>maxmemory</c> and is about to. Reads the monitor's last
/// reading: a health probe never waits on Redis.
/// </summary>
public sealed class RedisMemoryHealthCheck(RedisMemoryMonitor monitor) : IHealthCheck
{
    /// <summary>The check's name in the health report.</summary>
    public const string Name = "redis-memory";

    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (monitor.Last is not { } s)
        {
            return Task.FromResult(HealthCheckResult.Healthy("Redis memory not read yet."));
        }

        var options = monitor.Options;
        var data = new Dictionary<string, object>
        {
            ["usedBytes"] = s.UsedBytes,
            ["maxBytes"] = s.MaxBytes,
            ["policy"] = s.Policy,
            ["evictedKeys"] = s.EvictedKeys,
        };
        var usage = s.MaxBytes > 0 ? $"{Mb(s.UsedBytes)} of {Mb(s.MaxBytes)} used, policy {s.Policy}" : $"{Mb(s.UsedBytes)} used, no maxmemory";
        var evicted = monitor.EvictedRecently;
        data["evictedRecently"] = evicted;
        if (evicted > 0)
        {
            return Task.FromResult(HealthCheckResult.Degraded(
                $"Redis evicted {evicted} keys in the last {options.EvictionWindow.TotalMinutes.ToString("0.#", CultureInfo.InvariantCulture)} min ({usage}): "
                + "keys this service needs (sessions, cached state) may be gone; users may have to sign in again.", data: data));
        }

        if (s.MaxBytes > 0 && s.UsedBytes >= options.HighWaterMark * s.MaxBytes)
        {
            return Task.FromResult(HealthCheckResult.Degraded(
                $"Redis memory is above {options.HighWaterMark.ToString("P0", CultureInfo.InvariantCulture)} of maxmemory ({usage}): it evicts keys once full.", data: data));
        }

        return Task.FromResult(HealthCheckResult.Healthy($"Redis memory: {usage}.", data));
    }

    private static string Mb(long bytes) => (bytes / 1048576d).ToString("0.0", CultureInfo.InvariantCulture) + " MB";
}
