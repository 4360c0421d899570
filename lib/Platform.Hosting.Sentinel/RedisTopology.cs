using System.Net;
using Aspire.Hosting.ApplicationModel;
using StackExchange.Redis;

namespace Platform.Hosting.Sentinel;

/// <summary>What the Sentinels say about the topology, and the failover they perform on request.</summary>
internal static class RedisTopology
{
    /// <summary>The master's address as the first Sentinel that answers names it, or null when none does.</summary>
    public static async Task<EndPoint?> MasterAsync(RedisSentinelResource redis, RedisProbe probe, CancellationToken cancellationToken)
    {
        var password = await redis.PasswordParameter.GetValueAsync(cancellationToken).ConfigureAwait(false) ?? string.Empty;
        foreach (var sentinel in redis.Sentinels)
        {
            try
            {
                var server = await probe.ServerAsync(LocalEndpoint.Of(sentinel), password, sentinel: true).ConfigureAwait(false);
                if (await server.SentinelGetMasterAddressByNameAsync(RedisSentinelResource.MasterName).ConfigureAwait(false) is { } master)
                {
                    return master;
                }
            }
            catch (RedisException)
            {
                // That Sentinel is down; ask the next.
            }
        }

        return null;
    }

    /// <summary>
    /// Asks a Sentinel to fail over (SENTINEL FAILOVER) and waits until every Sentinel that answers names the same new
    /// master and that node answers as master; returns its address.
    /// </summary>
    public static async Task<EndPoint> FailoverAsync(RedisSentinelResource redis, RedisProbe probe, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var password = await redis.PasswordParameter.GetValueAsync(cancellationToken).ConfigureAwait(false) ?? string.Empty;
        var before = await MasterAsync(redis, probe, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"No Sentinel of '{redis.Name}' names a master: there is nothing to fail over.");
        // A Sentinel refuses while no replica qualifies yet (one just restarted or resyncing: NOGOODSLAVE) or a
        // failover is under way (INPROGRESS): ask again until one accepts or the time is up.
        string? refusal = null;
        while (true)
        {
            foreach (var sentinel in redis.Sentinels)
            {
                try
                {
                    var server = await probe.ServerAsync(LocalEndpoint.Of(sentinel), password, sentinel: true).ConfigureAwait(false);
                    await server.SentinelFailoverAsync(RedisSentinelResource.MasterName).ConfigureAwait(false);
                    refusal = null;
                    break;
                }
                catch (RedisException ex)
                {
                    refusal = ex.Message;
                }
            }

            if (refusal is null)
            {
                break;
            }

            if (deadline.IsCancellationRequested)
            {
                throw new InvalidOperationException($"No Sentinel of '{redis.Name}' accepted SENTINEL FAILOVER: {refusal}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), CancellationToken.None).ConfigureAwait(false);
        }

        try
        {
            while (true)
            {
                deadline.Token.ThrowIfCancellationRequested();
                var masters = new List<EndPoint>();
                foreach (var sentinel in redis.Sentinels)
                {
                    try
                    {
                        var server = await probe.ServerAsync(LocalEndpoint.Of(sentinel), password, sentinel: true).ConfigureAwait(false);
                        if (await server.SentinelGetMasterAddressByNameAsync(RedisSentinelResource.MasterName).ConfigureAwait(false) is { } m)
                        {
                            masters.Add(m);
                        }
                    }
                    catch (RedisException)
                    {
                    }
                }

                if (masters.Count > 0 && masters.Distinct().Count() == 1 && !masters[0].Equals(before))
                {
                    var node = await probe.ServerAsync(masters[0], password, sentinel: false).ConfigureAwait(false);
                    if (await node.RoleAsync().ConfigureAwait(false) is Role.Master)
                    {
                        return masters[0];
                    }
                }

                await Task.Delay(TimeSpan.FromMilliseconds(100), deadline.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The Sentinels of '{redis.Name}' did not agree on a new master within {timeout.TotalSeconds:0} s.");
        }
    }
}
