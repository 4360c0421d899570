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

    /// <summary>The server at <paramref name="endpoint"/>; <paramref name="sentinel"/> selects Sentinel's command set.</summary>
    public async Task<IServer> ServerAsync(EndPoint endpoint, string password, bool sentinel)
    {
        var connection = await _connections.GetOrAdd((endpoint, sentinel), key => new Lazy<Task<ConnectionMultiplexer>>(() =>
        {
            var options = new ConfigurationOptions
            {
                EndPoints = { key.Item1 },
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
        })).Value.ConfigureAwait(false);
        return connection.GetServer(endpoint);
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
