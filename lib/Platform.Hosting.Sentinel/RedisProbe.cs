using System.Collections.Concurrent;
using System.Net;
using StackExchange.Redis;

namespace Platform.Hosting.Sentinel;

/// <summary>
/// The AppHost's own connections to nodes and Sentinels, for health checks and the failover command: one multiplexer
/// per address, kept (it reconnects by itself when a process restarts), closed with the AppHost.
/// </summary>
internal sealed class RedisProbe : IAsyncDisposable
{
    private readonly ConcurrentDictionary<(EndPoint, bool), Lazy<Task<ConnectionMultiplexer>>> _connections = new();

    /// <summary>
    /// The server at <paramref name="endpoint"/>; <paramref name="sentinel"/> selects Sentinel's command set. Throws
    /// <see cref="RedisConnectionException"/> when the process does not answer (yet, or any more).
    /// </summary>
    public async Task<IServer> ServerAsync(EndPoint endpoint, string password, bool sentinel)
    {
        var key = (endpoint, sentinel);
        var connecting = _connections.GetOrAdd(key, _ => new Lazy<Task<ConnectionMultiplexer>>(() => ConnectAsync(endpoint, password, sentinel)));
        var connection = await connecting.Value.ConfigureAwait(false);
        if (!connection.IsConnected)
        {
            // StackExchange.Redis would try again only at its next reconnect, up to seconds later, which would make a
            // process that has just started (or restarted) look down for that long: the next call connects afresh.
            _connections.TryRemove(KeyValuePair.Create(key, connecting));
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, CommandFlags.None, $"{endpoint} does not answer", innerException: null, CommandStatus.Unknown);
        }

        return connection.GetServer(endpoint);
    }

    private static Task<ConnectionMultiplexer> ConnectAsync(EndPoint endpoint, string password, bool sentinel)
    {
        var options = new ConfigurationOptions
        {
            EndPoints = { endpoint },
            Password = password,
            AbortOnConnectFail = false,
            ConnectTimeout = 2000,
            SyncTimeout = 2000,
            AsyncTimeout = 2000,
            ConnectRetry = 1,
            // INFO, REPLICAOF, CONFIG and CLIENT are admin commands to StackExchange.Redis; this is the AppHost's own connection.
            AllowAdmin = true,
            // Health checks look at one process each; a node's replicas are not this connection's business.
            ClientName = "apphost-health",
        };
        if (sentinel)
        {
            options.CommandMap = CommandMap.Sentinel;
        }

        return ConnectionMultiplexer.ConnectAsync(options);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _connections.Values.Where(c => c.IsValueCreated))
        {
            try
            {
                await (await connection.Value.ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false);
            }
            catch (RedisConnectionException)
            {
            }
        }
    }
}
