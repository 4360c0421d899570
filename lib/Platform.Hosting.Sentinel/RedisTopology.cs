using System.Diagnostics;
using System.Globalization;
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
    /// master and that node answers as master; then turns the former master into its replica at once, as Sentinel
    /// itself would only about 10 s later (see <see cref="DemoteAsync"/>). Returns the new master's address.
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
        while (true)
        {
            var refusal = await AskFailoverAsync(redis, probe, password).ConfigureAwait(false);
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
                        await DemoteAsync(probe, before, masters[0], password).ConfigureAwait(false);
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

    /// <summary>
    /// Has the Sentinels promote a replica in place of <paramref name="down"/>, the master they name, whose process is
    /// known to have exited: SENTINEL FAILOVER at once (down-after would only confirm, seconds later, what the exit
    /// already says), then waits until a Sentinel names another node and that node answers as master. Returns it; null
    /// when no other node holds a copy Sentinel could promote (none answers as a replica that has synchronised since
    /// it started) or none was promoted within <paramref name="timeout"/>.
    /// </summary>
    public static async Task<EndPoint?> PromoteInPlaceOfAsync(RedisSentinelResource redis, RedisProbe probe, IPEndPoint down, TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        var password = await redis.PasswordParameter.GetValueAsync(cancellationToken).ConfigureAwait(false) ?? string.Empty;
        var started = Stopwatch.GetTimestamp();
        var asked = false;
        while (true)
        {
            foreach (var sentinel in redis.Sentinels)
            {
                // Every Sentinel, not the first that answers: the one that performs the failover names the new master
                // first, the others only once its hello message reaches them.
                var named = await NamedMasterAsync(probe, sentinel, password).ConfigureAwait(false);
                if (named is not null && !IsNode(named, down) && await AnswersAsMasterAsync(probe, named, password).ConfigureAwait(false))
                {
                    return named;
                }
            }

            if (!asked)
            {
                if (!await HasPromotableReplicaAsync(redis, probe, down, password).ConfigureAwait(false))
                {
                    return null;
                }

                // Refused while the Sentinels' view of the replica is not fresh enough (NOGOODSLAVE): asked again next round.
                asked = await AskFailoverAsync(redis, probe, password).ConfigureAwait(false) is null;
            }

            if (Stopwatch.GetElapsedTime(started) > timeout)
            {
                return null;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A node other than <paramref name="except"/> that answers as master, or null: what is left to go by when no Sentinel answers.</summary>
    public static async Task<EndPoint?> AnyNodeAnsweringAsMasterAsync(RedisSentinelResource redis, RedisProbe probe, IPEndPoint except, CancellationToken cancellationToken)
    {
        var password = await redis.PasswordParameter.GetValueAsync(cancellationToken).ConfigureAwait(false) ?? string.Empty;
        foreach (var node in redis.Nodes.Select(LocalEndpoint.Of).Where(n => !n.Equals(except)))
        {
            if (await AnswersAsMasterAsync(probe, node, password).ConfigureAwait(false))
            {
                return node;
            }
        }

        return null;
    }

    /// <summary>Whether <paramref name="address"/>, as a Sentinel names a node, is the local node listening at <paramref name="node"/>.</summary>
    public static bool IsNode(EndPoint address, IPEndPoint node) => address switch
    {
        IPEndPoint ip => ip.Port == node.Port
            && (ip.Address.Equals(node.Address) || (IPAddress.IsLoopback(ip.Address) && IPAddress.IsLoopback(node.Address))),
        DnsEndPoint dns => dns.Port == node.Port && IPAddress.IsLoopback(node.Address)
            && string.Equals(dns.Host, "localhost", StringComparison.OrdinalIgnoreCase),
        _ => false,
    };

    /// <summary><paramref name="address"/> as redis.conf's <c>replicaof</c> takes it: <c>host port</c>.</summary>
    public static string ConfAddress(EndPoint address) => address switch
    {
        IPEndPoint ip => string.Create(CultureInfo.InvariantCulture, $"{ip.Address} {ip.Port}"),
        DnsEndPoint dns => string.Create(CultureInfo.InvariantCulture, $"{dns.Host} {dns.Port}"),
        _ => throw new ArgumentException($"Not a host and port: {address}", nameof(address)),
    };

    /// <summary>
    /// What Sentinel does to a former master that still answers as master (<c>+convert-to-slave</c>): REPLICAOF the new
    /// master, CONFIG REWRITE, and every client disconnected, so that clients ask the Sentinels again where the master
    /// is. Sentinel does it only once the node has reported its role for 8 s (four hello periods) and on its next INFO,
    /// which for a replica comes every 10 s: measured, the former master stayed master 10.1 s after +switch-master. In
    /// that time clients kept writing to it (StackExchange.Redis keeps a node that answers ROLE as master, and with
    /// two it may pick either) and it refused every write (NOREPLICAS: its replica was promoted away), which made the
    /// failover command cost 12–15 s of refused writes. Once every Sentinel names the new master there is nothing left
    /// to wait for.
    /// </summary>
    private static async Task DemoteAsync(RedisProbe probe, EndPoint former, EndPoint master, string password)
    {
        try
        {
            var server = await probe.ServerAsync(former, password, sentinel: false).ConfigureAwait(false);
            if (await server.RoleAsync().ConfigureAwait(false) is not Role.Master)
            {
                return;
            }

            var address = ConfAddress(master).Split(' ');
            await server.ExecuteAsync("REPLICAOF", address[0], address[1]).ConfigureAwait(false);
            await server.ExecuteAsync("CONFIG", "REWRITE").ConfigureAwait(false);
            await server.ClientKillAsync(clientType: ClientType.Normal, skipMe: true).ConfigureAwait(false);
            await server.ClientKillAsync(clientType: ClientType.PubSub, skipMe: true).ConfigureAwait(false);
        }
        catch (RedisException)
        {
            // Unreachable: Sentinel converts it when it answers again.
        }
    }

    // SENTINEL FAILOVER to each Sentinel until one takes it; null when one did (or one is already failing over),
    // else the last refusal.
    private static async Task<string?> AskFailoverAsync(RedisSentinelResource redis, RedisProbe probe, string password)
    {
        string refusal = "no Sentinel answers";
        foreach (var sentinel in redis.Sentinels)
        {
            try
            {
                var server = await probe.ServerAsync(LocalEndpoint.Of(sentinel), password, sentinel: true).ConfigureAwait(false);
                await server.SentinelFailoverAsync(RedisSentinelResource.MasterName).ConfigureAwait(false);
                return null;
            }
            catch (RedisServerException ex) when (ex.Message.StartsWith("INPROGRESS", StringComparison.Ordinal))
            {
                return null;
            }
            catch (RedisException ex)
            {
                refusal = ex.Message;
            }
        }

        return refusal;
    }

    private static async Task<EndPoint?> NamedMasterAsync(RedisProbe probe, IResourceWithEndpoints sentinel, string password)
    {
        try
        {
            var server = await probe.ServerAsync(LocalEndpoint.Of(sentinel), password, sentinel: true).ConfigureAwait(false);
            return await server.SentinelGetMasterAddressByNameAsync(RedisSentinelResource.MasterName).ConfigureAwait(false);
        }
        catch (RedisException)
        {
            return null;
        }
    }

    private static async Task<bool> AnswersAsMasterAsync(RedisProbe probe, EndPoint node, string password)
    {
        try
        {
            var server = await probe.ServerAsync(node, password, sentinel: false).ConfigureAwait(false);
            return await server.RoleAsync().ConfigureAwait(false) is Role.Master;
        }
        catch (RedisException)
        {
            return false;
        }
    }

    // A replica Sentinel could promote without losing what the master had: it answers, and its link to the master was
    // up at some point since it started. A replica that restarted and never synchronised reports its link down "since
    // -1 s", which Sentinel takes for a fresh link; promoting it would throw the data away.
    private static async Task<bool> HasPromotableReplicaAsync(RedisSentinelResource redis, RedisProbe probe, IPEndPoint down, string password)
    {
        foreach (var node in redis.Nodes.Select(LocalEndpoint.Of).Where(n => !n.Equals(down)))
        {
            try
            {
                var server = await probe.ServerAsync(node, password, sentinel: false).ConfigureAwait(false);
                var info = (await server.InfoRawAsync("replication").ConfigureAwait(false) ?? string.Empty)
                    .Split('\n').Select(l => l.TrimEnd('\r').Split(':', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
                if (info.GetValueOrDefault("role") != "slave")
                {
                    continue;
                }

                if (info.GetValueOrDefault("master_link_status") == "up"
                    || (long.TryParse(info.GetValueOrDefault("master_link_down_since_seconds"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var since) && since >= 0))
                {
                    return true;
                }
            }
            catch (RedisException)
            {
                // Down too: not a candidate.
            }
        }

        return false;
    }
}
