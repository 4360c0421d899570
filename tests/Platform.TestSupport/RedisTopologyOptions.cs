namespace Platform.TestSupport;

/// <summary>Shape of a throw-away Redis deployment started by <see cref="RedisTopology"/>.</summary>
public sealed class RedisTopologyOptions
{
    /// <summary>Replicas of the master. With 0 replicas and 0 Sentinels a single plain server is started.</summary>
    public int Replicas { get; set; } = 1;

    /// <summary>Sentinel processes (quorum 2 when there are at least 2, else 1).</summary>
    public int Sentinels { get; set; } = 3;

    /// <summary>requirepass/masterauth of the data nodes; random when null. Empty string means no password.</summary>
    public string? Password { get; set; }

    public string ServiceName { get; set; } = "mymaster";

    /// <summary>Redis maxmemory setting, e.g. "64mb"; unset when null.</summary>
    public string? MaxMemory { get; set; }

    /// <summary>Sentinel down-after-milliseconds: how long a silent master takes to be considered down.</summary>
    public int DownAfterMilliseconds { get; set; } = 1000;

    /// <summary>Sentinel failover-timeout.</summary>
    public int FailoverTimeoutMilliseconds { get; set; } = 4000;

    /// <summary>Extra redis.conf lines for the data nodes.</summary>
    public IList<string> ExtraConfig { get; } = [];

    /// <summary>How long StartAsync waits for replication and Sentinel agreement.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

public enum RedisNodeRole
{
    Master,
    Replica,
    Sentinel,
}

/// <summary>One process of a topology. The role of a data node is the one it started with or was last seen in.</summary>
public sealed class RedisNode
{
    internal RedisNode(int port, RedisNodeRole role, string configPath)
    {
        Port = port;
        Role = role;
        ConfigPath = configPath;
    }

    public int Port { get; }

    public RedisNodeRole Role { get; internal set; }

    public bool IsSentinel => Role == RedisNodeRole.Sentinel;

    public int? ProcessId => Process is { HasExited: false } p ? p.Id : null;

    public bool IsRunning => Process is { HasExited: false };

    internal string ConfigPath { get; }

    internal System.Diagnostics.Process? Process { get; set; }

    public override string ToString() => $"{Role} 127.0.0.1:{Port}";
}
