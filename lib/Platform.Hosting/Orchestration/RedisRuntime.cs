using System.Globalization;
using System.Text;
using Platform.Hosting.ApplicationModel;

namespace Platform.Hosting.Orchestration;

/// <summary>Redis master (instance 0) and replicas from Debian's redis-server, configured as the design says.</summary>
internal sealed class RedisRuntime(RedisResource redis) : ResourceRuntime(redis, redis.Instances)
{
    public override string Kind => "Redis";

    public override bool HasHealthProbe => true;

    protected override bool AlwaysIndexInstances => redis.Sentinel is not null;

    public RedisResource Redis => redis;

    private string _directory = string.Empty;

    public override async Task PrepareAsync(RunContext context, CancellationToken cancellationToken)
    {
        _directory = context.ResourceDirectory(Redis, "redis");
        var masterPort = PortOf(Instances[0], RedisResource.PrimaryEndpointName);
        foreach (var instance in Instances)
        {
            var data = DataDirectory(instance);
            if (!Redis.HasDataVolume && Directory.Exists(data))
            {
                Directory.Delete(data, recursive: true);
            }

            Directory.CreateDirectory(data);
            var conf = RedisConfigFile.Common(PortOf(instance, RedisResource.PrimaryEndpointName), data, Redis.PasswordParameter.Value)
                .AppendLine("protected-mode no")
                .AppendLine(CultureInfo.InvariantCulture, $"masterauth \"{Redis.PasswordParameter.Value}\"")
                .AppendLine(CultureInfo.InvariantCulture, $"maxmemory {Redis.MaxMemory}")
                .AppendLine(CultureInfo.InvariantCulture, $"maxmemory-policy {Redis.MaxMemoryPolicy}")
                .AppendLine(CultureInfo.InvariantCulture, $"appendonly {(Redis.AppendOnly ? "yes" : "no")}")
                .AppendLine(CultureInfo.InvariantCulture, $"appendfsync {Redis.AppendFsync}")
                .AppendLine(CultureInfo.InvariantCulture, $"save {(long)Redis.Snapshot.Interval.TotalSeconds} {Redis.Snapshot.KeysChanged}")
                // A replica syncs at once instead of waiting for more replicas to batch with (default: 5 s).
                .AppendLine("repl-diskless-sync yes")
                .AppendLine("repl-diskless-sync-delay 0");
            if (instance.Index > 0)
            {
                conf.AppendLine(CultureInfo.InvariantCulture, $"replicaof 127.0.0.1 {masterPort}");
            }

            // Sentinel rewrites this file (CONFIG REWRITE) when it reconfigures the instance after a failover.
            await RedisConfigFile.WriteAsync(ConfigFile(instance), conf, cancellationToken).ConfigureAwait(false);
        }
    }

    public override Task<LaunchSpec> CreateLaunchSpecAsync(InstanceRuntime instance, RunContext context, CancellationToken cancellationToken)
    {
        var server = Executables.Find("redis-server", "redis-server");
        return Task.FromResult(new LaunchSpec(server, [ConfigFile(instance)], DataDirectory(instance)));
    }

    public override async Task<HealthResult> ProbeAsync(InstanceRuntime instance, RunContext context, CancellationToken cancellationToken)
    {
        await using var connection = await RespConnection.ConnectAsync("127.0.0.1", PortOf(instance, RedisResource.PrimaryEndpointName), Redis.PasswordParameter.Value, cancellationToken).ConfigureAwait(false);
        if (await connection.ExecuteAsync(cancellationToken, "PING").ConfigureAwait(false) is not "PONG")
        {
            return new HealthResult(false, "PING did not answer PONG");
        }

        var role = await connection.ExecuteAsync(cancellationToken, "ROLE").ConfigureAwait(false) as object?[];
        return role?[0] switch
        {
            "master" => new HealthResult(true, "master", "master"),
            "slave" when role.Length > 3 && role[3] is "connected" => new HealthResult(true, $"replica of {role[1]}:{role[2]}", "replica"),
            "slave" => new HealthResult(false, $"replica, link to {role[1]}:{role[2]} is {(role.Length > 3 ? role[3] : "unknown")}", "replica"),
            _ => new HealthResult(false, "ROLE gave no role"),
        };
    }

    private string DataDirectory(InstanceRuntime instance) =>
        Path.Combine(_directory, Redis.HasDataVolume ? "data" : "run", instance.Name);

    private string ConfigFile(InstanceRuntime instance) => Path.Combine(_directory, instance.Name + ".conf");
}

/// <summary>Sentinels from Debian's redis-sentinel. Healthy when they know the master, every replica and each other.</summary>
internal sealed class RedisSentinelRuntime(RedisSentinelResource sentinel) : ResourceRuntime(sentinel, sentinel.Instances)
{
    public override string Kind => "RedisSentinel";

    public override bool HasHealthProbe => true;

    protected override bool AlwaysIndexInstances => true;

    public RedisSentinelResource Sentinel => sentinel;

    private string _directory = string.Empty;

    public override async Task PrepareAsync(RunContext context, CancellationToken cancellationToken)
    {
        _directory = context.ResourceDirectory(Sentinel, "redis");
        var master = Sentinel.Parent.Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == RedisResource.PrimaryEndpointName).InstanceEndpoints[0];
        var password = Sentinel.Parent.PasswordParameter.Value;
        foreach (var instance in Instances)
        {
            var dir = Path.Combine(_directory, instance.Name);
            Directory.CreateDirectory(dir);
            // Fresh every start: ports may change between runs and Sentinel keeps the topology it learnt in this file.
            // Clients authenticate to Sentinels with the same password; Sentinels use it with each other too.
            var conf = RedisConfigFile.Common(PortOf(instance, RedisSentinelResource.PrimaryEndpointName), dir, password)
                .AppendLine(CultureInfo.InvariantCulture, $"sentinel monitor {Sentinel.MasterName} {master.Host} {master.Port} {Sentinel.Quorum}")
                .AppendLine(CultureInfo.InvariantCulture, $"sentinel auth-pass {Sentinel.MasterName} {password}")
                .AppendLine(CultureInfo.InvariantCulture, $"sentinel down-after-milliseconds {Sentinel.MasterName} {(long)Sentinel.DownAfter.TotalMilliseconds}")
                .AppendLine(CultureInfo.InvariantCulture, $"sentinel failover-timeout {Sentinel.MasterName} {(long)Sentinel.FailoverTimeout.TotalMilliseconds}")
                .AppendLine(CultureInfo.InvariantCulture, $"sentinel parallel-syncs {Sentinel.MasterName} 1");
            await RedisConfigFile.WriteAsync(ConfigFile(instance), conf, cancellationToken).ConfigureAwait(false);
        }
    }

    public override Task<LaunchSpec> CreateLaunchSpecAsync(InstanceRuntime instance, RunContext context, CancellationToken cancellationToken)
    {
        var binary = Executables.Find("redis-sentinel", "redis-sentinel");
        return Task.FromResult(new LaunchSpec(binary, [ConfigFile(instance)], Path.Combine(_directory, instance.Name)));
    }

    public override async Task<HealthResult> ProbeAsync(InstanceRuntime instance, RunContext context, CancellationToken cancellationToken)
    {
        var name = Sentinel.MasterName;
        await using var connection = await RespConnection.ConnectAsync("127.0.0.1", PortOf(instance, RedisSentinelResource.PrimaryEndpointName), Sentinel.Parent.PasswordParameter.Value, cancellationToken).ConfigureAwait(false);
        if (await connection.ExecuteAsync(cancellationToken, "SENTINEL", "get-master-addr-by-name", name).ConfigureAwait(false) is not object?[] { Length: 2 } master)
        {
            return new HealthResult(false, $"does not know master '{name}'");
        }

        var replicas = await connection.ExecuteAsync(cancellationToken, "SENTINEL", "replicas", name).ConfigureAwait(false) as object?[] ?? [];
        var up = replicas.Select(RespConnection.Pairs).Count(r => r.TryGetValue("flags", out var f) && !f.Contains("down", StringComparison.Ordinal) && !f.Contains("disconnected", StringComparison.Ordinal));
        var sentinels = (await connection.ExecuteAsync(cancellationToken, "SENTINEL", "sentinels", name).ConfigureAwait(false) as object?[] ?? []).Length;
        var description = $"master {master[0]}:{master[1]}, {up}/{Sentinel.Parent.Replicas} replicas, {sentinels + 1}/{Sentinel.Instances} sentinels";
        return new HealthResult(up >= Sentinel.Parent.Replicas && sentinels >= Sentinel.Instances - 1, description, "sentinel");
    }

    private string ConfigFile(InstanceRuntime instance) => Path.Combine(_directory, instance.Name, "sentinel.conf");
}

/// <summary>What redis-server's and redis-sentinel's config files share: loopback, foreground, stdout log, password.</summary>
internal static class RedisConfigFile
{
    public static StringBuilder Common(int port, string directory, string password) => new StringBuilder()
        .AppendLine("bind 127.0.0.1")
        .AppendLine(CultureInfo.InvariantCulture, $"port {port}")
        .AppendLine("daemonize no")
        .AppendLine("logfile \"\"")
        .AppendLine(CultureInfo.InvariantCulture, $"dir \"{directory}\"")
        .AppendLine(CultureInfo.InvariantCulture, $"requirepass \"{password}\"");

    /// <summary>Writes the file readable by its owner only: it holds the password.</summary>
    public static async Task WriteAsync(string path, StringBuilder conf, CancellationToken cancellationToken)
    {
        await File.WriteAllTextAsync(path, conf.ToString(), cancellationToken).ConfigureAwait(false);
        Files.SetMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }
}
