using Platform.Hosting.ApplicationModel;

namespace Platform.Hosting.Orchestration;

/// <summary>Start, stop, restart and kill a resource (every instance) or one instance by name; used by the dashboard and tests.</summary>
public sealed class ResourceCommandService
{
    private readonly Orchestrator _orchestrator;

    internal ResourceCommandService(Orchestrator orchestrator) => _orchestrator = orchestrator;

    public async Task StopAsync(string resourceOrInstance, CancellationToken cancellationToken = default) =>
        await Task.WhenAll(_orchestrator.FindInstances(resourceOrInstance).Select(i => _orchestrator.StopInstanceAsync(i, kill: false)))
            .WaitAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>SIGKILL to the process group, as a crash would (the instance ends Exited with code 137).</summary>
    public async Task KillAsync(string resourceOrInstance, CancellationToken cancellationToken = default) =>
        await Task.WhenAll(_orchestrator.FindInstances(resourceOrInstance).Select(i => _orchestrator.StopInstanceAsync(i, kill: true)))
            .WaitAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>Starts instances that are not running (without waiting for dependencies again).</summary>
    public async Task StartAsync(string resourceOrInstance, CancellationToken cancellationToken = default) =>
        await Task.WhenAll(_orchestrator.FindInstances(resourceOrInstance)
                .Where(i => i.State is not (ResourceState.Running or ResourceState.Starting or ResourceState.Waiting))
                .Select(i => _orchestrator.StartInstanceAsync(i, CancellationToken.None)))
            .WaitAsync(cancellationToken).ConfigureAwait(false);

    public async Task RestartAsync(string resourceOrInstance, CancellationToken cancellationToken = default)
    {
        await StopAsync(resourceOrInstance, cancellationToken).ConfigureAwait(false);
        await StartAsync(resourceOrInstance, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Asks a Sentinel of <paramref name="redisResource"/> to fail over (SENTINEL FAILOVER) and waits until every
    /// Sentinel reports a new master. Returns the new master's address.
    /// </summary>
    public async Task<string> FailoverAsync(string redisResource, CancellationToken cancellationToken = default)
    {
        var redis = _orchestrator.RuntimeOf(redisResource).Resource as RedisResource
            ?? throw new ArgumentException($"'{redisResource}' is not a Redis resource.", nameof(redisResource));
        var sentinel = redis.Sentinel ?? throw new InvalidOperationException($"Redis '{redisResource}' has no Sentinels (use WithSentinel).");
        var password = redis.PasswordParameter.Value;
        var sentinels = sentinel.Annotations.OfType<EndpointAnnotation>().Single().InstanceEndpoints;

        var before = await MasterAsync(sentinels[0], sentinel.MasterName, password, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            await using (var connection = await RespConnection.ConnectAsync(sentinels[0].Host, sentinels[0].Port, password, cancellationToken).ConfigureAwait(false))
            {
                var reply = await connection.ExecuteAsync(cancellationToken, "SENTINEL", "FAILOVER", sentinel.MasterName).ConfigureAwait(false);
                if (reply is not RespError error)
                {
                    break;
                }

                // INPROG or NOGOODREPLICA right after a previous failover: the replicas are still resyncing.
                if (!error.Message.Contains("INPROG", StringComparison.Ordinal) && !error.Message.Contains("NOGOODREPLICA", StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"SENTINEL FAILOVER failed: {error.Message}");
                }
            }

            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
        }

        while (true)
        {
            var masters = new List<string?>();
            foreach (var s in sentinels)
            {
                masters.Add(await MasterAsync(s, sentinel.MasterName, password, cancellationToken).ConfigureAwait(false));
            }

            if (masters.All(m => m is not null && m != before && m == masters[0]) && await IsMasterAsync(masters[0]!, password, cancellationToken).ConfigureAwait(false))
            {
                return masters[0]!;
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<string?> MasterAsync(AllocatedEndpoint sentinel, string masterName, string password, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await RespConnection.ConnectAsync(sentinel.Host, sentinel.Port, password, cancellationToken).ConfigureAwait(false);
            return await connection.ExecuteAsync(cancellationToken, "SENTINEL", "get-master-addr-by-name", masterName).ConfigureAwait(false) is object?[] { Length: 2 } a
                ? $"{a[0]}:{a[1]}" : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return null;
        }
    }

    private static async Task<bool> IsMasterAsync(string address, string password, CancellationToken cancellationToken)
    {
        var colon = address.LastIndexOf(':');
        try
        {
            await using var connection = await RespConnection.ConnectAsync(address[..colon], int.Parse(address[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture), password, cancellationToken).ConfigureAwait(false);
            return await connection.ExecuteAsync(cancellationToken, "ROLE").ConfigureAwait(false) is object?[] { Length: > 0 } role && role[0] is "master";
        }
        catch (IOException)
        {
            return false;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }
}
