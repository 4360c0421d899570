using System.Net;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace Platform.Hosting.Sentinel;

/// <summary>
/// A check whose process may be down or restarting, or whose connection closes with the AppHost: that is an unhealthy
/// answer, not an error for the health-check service to log with a stack trace.
/// </summary>
internal abstract class RedisHealthCheck : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            return await CheckAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or ObjectDisposedException or TimeoutException or KeyNotFoundException)
        {
            return HealthCheckResult.Unhealthy(ex.Message);
        }
    }

    protected abstract Task<HealthCheckResult> CheckAsync(CancellationToken cancellationToken);
}

/// <summary>A node is healthy as master, or as a replica whose link to its master is up.</summary>
internal sealed class RedisNodeHealthCheck(RedisSentinelResource redis, IResourceWithEndpoints node, RedisProbe probe) : RedisHealthCheck
{
    protected override async Task<HealthCheckResult> CheckAsync(CancellationToken cancellationToken)
    {
        var password = await redis.PasswordParameter.GetValueAsync(cancellationToken).ConfigureAwait(false) ?? string.Empty;
        var server = await probe.ServerAsync(LocalEndpoint.Of(node), password, sentinel: false).ConfigureAwait(false);
        return await server.RoleAsync().ConfigureAwait(false) switch
        {
            Role.Master => HealthCheckResult.Healthy("master"),
            Role.Replica { State: "connected" } replica => HealthCheckResult.Healthy($"replica of {replica.MasterIp}:{replica.MasterPort}"),
            Role.Replica replica => HealthCheckResult.Unhealthy($"replica of {replica.MasterIp}:{replica.MasterPort}, link {replica.State}"),
            var other => HealthCheckResult.Unhealthy($"ROLE answered {other.Value}"),
        };
    }
}

/// <summary>A Sentinel is healthy when it sees the master up and is connected to every replica and every other Sentinel.</summary>
internal sealed class RedisSentinelHealthCheck(RedisSentinelResource redis, IResourceWithEndpoints sentinel, RedisProbe probe) : RedisHealthCheck
{
    protected override async Task<HealthCheckResult> CheckAsync(CancellationToken cancellationToken)
    {
        var password = await redis.PasswordParameter.GetValueAsync(cancellationToken).ConfigureAwait(false) ?? string.Empty;
        var server = await probe.ServerAsync(LocalEndpoint.Of(sentinel), password, sentinel: true).ConfigureAwait(false);
        var master = (await server.SentinelMasterAsync(RedisSentinelResource.MasterName).ConfigureAwait(false)).ToDictionary();
        var replicas = await server.SentinelReplicasAsync(RedisSentinelResource.MasterName).ConfigureAwait(false);
        var upReplicas = replicas.Count(Reachable);
        var sentinels = (await server.SentinelSentinelsAsync(RedisSentinelResource.MasterName).ConfigureAwait(false)).Count(Reachable) + 1;
        var description = $"master {master["ip"]}:{master["port"]} ({master["flags"]}), {upReplicas}/{redis.Nodes.Count - 1} replicas, {sentinels}/{redis.Sentinels.Count} sentinels";
        var healthy = master["flags"] == "master" && upReplicas >= redis.Nodes.Count - 1 && sentinels >= redis.Sentinels.Count;
        return healthy ? HealthCheckResult.Healthy(description) : HealthCheckResult.Unhealthy(description);
    }

    // Known is not enough (the configuration names them from the start): the Sentinel must reach them too.
    private static bool Reachable(KeyValuePair<string, string>[] instance)
    {
        var flags = instance.ToDictionary()["flags"];
        return !flags.Contains("down", StringComparison.Ordinal) && !flags.Contains("disconnected", StringComparison.Ordinal);
    }
}

/// <summary>The topology is healthy when a Sentinel names a master and that node answers as master: clients can write.</summary>
internal sealed class RedisMasterHealthCheck(RedisSentinelResource redis, RedisProbe probe) : RedisHealthCheck
{
    protected override async Task<HealthCheckResult> CheckAsync(CancellationToken cancellationToken)
    {
        var master = await RedisTopology.MasterAsync(redis, probe, cancellationToken).ConfigureAwait(false);
        if (master is null)
        {
            return HealthCheckResult.Unhealthy("no Sentinel names a master");
        }

        var password = await redis.PasswordParameter.GetValueAsync(cancellationToken).ConfigureAwait(false) ?? string.Empty;
        var server = await probe.ServerAsync(master, password, sentinel: false).ConfigureAwait(false);
        return await server.RoleAsync().ConfigureAwait(false) is Role.Master
            ? HealthCheckResult.Healthy($"master at {master}")
            : HealthCheckResult.Unhealthy($"the Sentinels name {master}, which is not a master");
    }
}

internal static class LocalEndpoint
{
    public static IPEndPoint Of(IResourceWithEndpoints resource)
    {
        var allocated = resource.GetEndpoint(RedisSentinelResource.EndpointName).EndpointAnnotation.AllocatedEndpoint
            ?? throw new InvalidOperationException($"'{resource.Name}' has no port yet.");
        return new IPEndPoint(IPAddress.Loopback, allocated.Port);
    }
}
