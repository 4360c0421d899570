using System.Globalization;
using System.Text;
using Aspire.Hosting.ApplicationModel;

namespace Platform.Hosting.Sentinel;

/// <summary>
/// The configuration files of a node and of a Sentinel. Run mode writes them for local processes; the published
/// containers' start scripts write the same lines, with host names and the password from the environment.
/// </summary>
internal static class RedisConfig
{
    public const int NodePort = 6379;
    public const int SentinelPort = 26379;

    /// <summary>A node; <paramref name="replicaOf"/> is the master's <c>host port</c> for a replica, null for the master.</summary>
    public static string Node(RedisSentinelSettings settings, string? bind, int port, string directory, string password, string? replicaOf) =>
        Common(bind, port, directory, password)
            .AppendLine(CultureInfo.InvariantCulture, $"masterauth {password}")
            .AppendLine(CultureInfo.InvariantCulture, $"maxmemory {settings.MaxMemory}")
            .AppendLine(CultureInfo.InvariantCulture, $"maxmemory-policy {settings.MaxMemoryPolicy}")
            .AppendLine("appendonly yes")
            .AppendLine("appendfsync everysec")
            .AppendLine(CultureInfo.InvariantCulture, $"save {settings.SnapshotSeconds} 1")
            // A replica syncs at once instead of waiting for more replicas to batch with (default: 5 s).
            .AppendLine("repl-diskless-sync yes")
            .AppendLine("repl-diskless-sync-delay 0")
            // A master cut off from every replica (a partition, a paused process) stops taking writes that a failover
            // would throw away; Sentinel promotes a replica within down-after anyway.
            .AppendLine(CultureInfo.InvariantCulture, $"min-replicas-to-write {settings.MinReplicasToWrite}")
            .AppendLine(CultureInfo.InvariantCulture, $"min-replicas-max-lag {settings.MinReplicasMaxLagSeconds}")
            .Append(replicaOf is null ? string.Empty : $"replicaof {replicaOf}\n")
            .ToString();

    /// <summary>
    /// <paramref name="conf"/> (a node's file, perhaps as Redis or Sentinel rewrote it) with its replication line
    /// replaced: <c>replicaof <paramref name="master"/></c>, or none (a master) when <paramref name="master"/> is null.
    /// </summary>
    public static string WithReplicaOf(string conf, string? master)
    {
        var lines = conf.Split('\n').Where(line => !IsReplicationLine(line)).ToList();
        while (lines.Count > 0 && lines[^1].Length == 0)
        {
            lines.RemoveAt(lines.Count - 1);
        }

        if (master is not null)
        {
            lines.Add($"replicaof {master}");
        }

        return string.Join('\n', lines) + "\n";
    }

    // CONFIG REWRITE writes "replicaof"; "slaveof" is the older spelling Redis still reads.
    private static bool IsReplicationLine(string line)
    {
        var trimmed = line.TrimStart();
        return trimmed.StartsWith("replicaof ", StringComparison.OrdinalIgnoreCase) || trimmed.StartsWith("slaveof ", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>A Sentinel watching the master at <paramref name="master"/> (<c>host port</c>).</summary>
    public static string Sentinel(RedisSentinelSettings settings, string? bind, int port, string directory, string password, string master, int quorum) =>
        Common(bind, port, directory, password)
            .AppendLine(CultureInfo.InvariantCulture, $"sentinel monitor {RedisSentinelResource.MasterName} {master} {quorum}")
            .AppendLine(CultureInfo.InvariantCulture, $"sentinel auth-pass {RedisSentinelResource.MasterName} {password}")
            // Sentinels require the password too, so they need it to talk to each other.
            .AppendLine(CultureInfo.InvariantCulture, $"sentinel sentinel-pass {password}")
            .AppendLine(CultureInfo.InvariantCulture, $"sentinel down-after-milliseconds {RedisSentinelResource.MasterName} {(long)settings.DownAfter.TotalMilliseconds}")
            .AppendLine(CultureInfo.InvariantCulture, $"sentinel failover-timeout {RedisSentinelResource.MasterName} {(long)settings.FailoverTimeout.TotalMilliseconds}")
            .AppendLine(CultureInfo.InvariantCulture, $"sentinel parallel-syncs {RedisSentinelResource.MasterName} 1")
            .ToString();

    /// <summary>
    /// What a Sentinel would otherwise learn over its first seconds (replicas from the master's INFO every 10 s, the
    /// other Sentinels from hello messages every 2 s): its own id, the replicas and the other Sentinels. Sentinel writes
    /// the same lines itself when it rewrites its file.
    /// </summary>
    public static string KnownTopology(string myId, IEnumerable<string> replicas, IEnumerable<(string Address, string Id)> sentinels)
    {
        var text = new StringBuilder().AppendLine(CultureInfo.InvariantCulture, $"sentinel myid {myId}");
        foreach (var replica in replicas)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"sentinel known-replica {RedisSentinelResource.MasterName} {replica}");
        }

        foreach (var (address, id) in sentinels)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"sentinel known-sentinel {RedisSentinelResource.MasterName} {address} {id}");
        }

        return text.ToString();
    }

    // bind: the addresses to listen on (run mode: loopback only), or null for all (a container's own network).
    private static StringBuilder Common(string? bind, int port, string directory, string password) => new StringBuilder()
        .Append(bind is null ? string.Empty : $"bind {bind}\n")
        .AppendLine(CultureInfo.InvariantCulture, $"port {port}")
        .AppendLine("daemonize no")
        .AppendLine("logfile \"\"")
        .AppendLine(CultureInfo.InvariantCulture, $"dir \"{directory}\"")
        .AppendLine(CultureInfo.InvariantCulture, $"requirepass {password}");
}
