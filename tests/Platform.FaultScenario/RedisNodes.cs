using Aspire.Hosting;
using Aspire.Hosting.Testing;
using StackExchange.Redis;

namespace Platform.FaultScenario;

/// <summary>The Redis nodes as they see themselves (ROLE, INFO replication), asked directly: health reports can be a check behind.</summary>
public sealed class RedisNodes(DistributedApplication app, string password)
{
    public static readonly string[] Names = ["redis-0", "redis-1"];

    public static async Task<RedisNodes> CreateAsync(DistributedApplication app, CancellationToken cancellationToken)
    {
        var connectionString = await app.GetConnectionStringAsync("redis", cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException("redis has no connection string");
        var password = connectionString.Split(',').Single(p => p.StartsWith("password=", StringComparison.Ordinal))["password=".Length..];
        return new RedisNodes(app, password);
    }

    /// <summary>The master and its replica when one node is master and the other its replica with the link up and listed online by the master; otherwise null.</summary>
    public async Task<(string Master, string Replica)?> SettledAsync()
    {
        foreach (var (master, replica) in (ValueTuple<string, string>[])[(Names[0], Names[1]), (Names[1], Names[0])])
        {
            var masterInfo = await ReplicationAsync(master).ConfigureAwait(false);
            var replicaInfo = await ReplicationAsync(replica).ConfigureAwait(false);
            if (masterInfo?.GetValueOrDefault("role") == "master" && replicaInfo?.GetValueOrDefault("role") == "slave"
                && replicaInfo.GetValueOrDefault("master_port") == Port(master).ToString(System.Globalization.CultureInfo.InvariantCulture)
                && replicaInfo.GetValueOrDefault("master_link_status") == "up"
                && masterInfo.GetValueOrDefault("slave0") is { } slave && slave.Contains("state=online", StringComparison.Ordinal))
            {
                return (master, replica);
            }
        }

        return null;
    }

    /// <summary>The node that says it is master, if exactly one does.</summary>
    public async Task<string?> MasterAsync()
    {
        var masters = new List<string>();
        foreach (var node in Names)
        {
            if ((await ReplicationAsync(node).ConfigureAwait(false))?.GetValueOrDefault("role") == "master")
            {
                masters.Add(node);
            }
        }

        return masters.Count == 1 ? masters[0] : null;
    }

    /// <summary>Whether <paramref name="replica"/> is a replica with its link up, and its master lists it online.</summary>
    public async Task<bool> ReplicatingAsync(string replica, string master)
    {
        var replicaInfo = await ReplicationAsync(replica).ConfigureAwait(false);
        var masterInfo = await ReplicationAsync(master).ConfigureAwait(false);
        return replicaInfo?.GetValueOrDefault("role") == "slave" && replicaInfo.GetValueOrDefault("master_link_status") == "up"
            && masterInfo?.GetValueOrDefault("slave0") is { } slave && slave.Contains("state=online", StringComparison.Ordinal);
    }

    private int Port(string node) => app.GetEndpoint(node, "tcp").Port;

    private async Task<Dictionary<string, string>?> ReplicationAsync(string node)
    {
        try
        {
            var options = new ConfigurationOptions
            {
                EndPoints = { { "127.0.0.1", Port(node) } },
                Password = password,
                ConnectTimeout = 1000,
                SyncTimeout = 1000,
                AsyncTimeout = 1000,
                AbortOnConnectFail = true,
                AllowAdmin = true,
                ClientName = "fault-scenario",
            };
            await using var connection = await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
            var info = await connection.GetServers()[0].InfoRawAsync("replication").ConfigureAwait(false) ?? "";
            return info.Split("\r\n").Select(l => l.Split(':', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        }
        catch (RedisException)
        {
            return null;
        }
    }
}
