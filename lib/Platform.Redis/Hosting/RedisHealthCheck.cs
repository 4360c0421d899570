using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Platform.Redis.Hosting;

/// <summary>Healthy when PING answers and the server in use is a master (ROLE), so a client stuck on a demoted
/// master reports unhealthy.</summary>
public sealed class RedisHealthCheck(IConnectionMultiplexer multiplexer) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var db = multiplexer.GetDatabase();
            var latency = await db.PingAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            var role = await db.ExecuteAsync("ROLE").WaitAsync(cancellationToken).ConfigureAwait(false);
            var name = role.Length > 0 ? (string?)role[0] : null;
            var data = new Dictionary<string, object>
            {
                ["endpoint"] = multiplexer.CurrentEndPoint?.ToString() ?? "",
                ["role"] = name ?? "",
                ["latency_ms"] = latency.TotalMilliseconds,
            };
            return name == "master"
                ? HealthCheckResult.Healthy("Redis master reachable", data)
                : new HealthCheckResult(context.Registration.FailureStatus, $"Redis server reports role '{name}'", data: data);
        }
        catch (Exception e) when (e is RedisConnectionException or RedisTimeoutException or RedisServerException or ObjectDisposedException)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "Redis is unreachable", e);
        }
    }
}
