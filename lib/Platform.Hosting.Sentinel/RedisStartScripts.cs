using System.Globalization;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;

namespace Platform.Hosting.Sentinel;

/// <summary>
/// The start scripts of the published containers: each writes its configuration file (owner-only: it holds the
/// password, which comes from the environment, never from the command line) and execs the server. Nodes and Sentinels
/// find each other by resource name, which is the host name in Compose and the Service name in Kubernetes.
/// </summary>
public static class RedisStartScripts
{
    /// <summary>The <c>/bin/sh -c</c> script of the container that <paramref name="role"/> describes.</summary>
    public static string For(RedisSentinelRoleAnnotation role)
    {
        ArgumentNullException.ThrowIfNull(role);
        var redis = role.Redis;
        var self = role.IsSentinel
            ? $"{redis.Name}-sentinel-{role.Index.ToString(CultureInfo.InvariantCulture)}"
            : $"{redis.Name}-{role.Index.ToString(CultureInfo.InvariantCulture)}";
        var master = $"{redis.Name}-0 {RedisConfig.NodePort}";
        if (role.IsSentinel)
        {
            // Sentinel rewrites its file as it learns the topology; a fresh one each start relearns it from the nodes,
            // starting from the node that is master now.
            var conf = RedisConfig.Sentinel(redis.Settings, bind: null, RedisConfig.SentinelPort, "/tmp", "$REDIS_PASSWORD", "$master", redis.Quorum)
                + "sentinel resolve-hostnames yes\nsentinel announce-hostnames yes\n"
                + $"sentinel announce-ip {self}\n";
            return Script("/tmp/sentinel.conf", conf, overwrite: true, "redis-sentinel", FindMaster(redis, master));
        }

        // A node keeps the file Sentinel rewrote (its role after a failover) on its data volume across restarts.
        var node = RedisConfig.Node(redis.Settings, bind: null, RedisConfig.NodePort, "/data", "$REDIS_PASSWORD", role.Index == 0 ? null : master)
            + $"replica-announce-ip {self}\n";
        return Script("/data/redis.conf", node, overwrite: false, "redis-server");
    }

    /// <summary>
    /// Sets <c>master</c> to the node that is master now: after a failover the first master is a replica, and Sentinels
    /// that all start afresh (an upgrade restarts them together) would otherwise watch it and find no master. A master
    /// with an online replica comes first, then any node that answers as master, then the first master. redis-cli
    /// takes the password from REDISCLI_AUTH, never from its command line.
    /// </summary>
    private static string FindMaster(RedisSentinelResource redis, string first)
    {
        var nodes = string.Join(' ', redis.Nodes.Select(n => $"\"{n.Name} {RedisConfig.NodePort.ToString(CultureInfo.InvariantCulture)}\""));
        return "master=\"\"\nfallback=\"\"\n"
            + $"for node in {nodes}; do\n"
            + "  set -- $node\n"
            + "  info=$(REDISCLI_AUTH=\"$REDIS_PASSWORD\" timeout 3 redis-cli -h \"$1\" -p \"$2\" INFO replication 2>/dev/null || true)\n"
            + "  case \"$info\" in *role:master*) ;; *) continue ;; esac\n"
            + "  [ -n \"$fallback\" ] || fallback=\"$1 $2\"\n"
            + "  if printf '%s\\n' \"$info\" | grep -q '^slave[0-9]*:.*state=online'; then master=\"$1 $2\"; break; fi\n"
            + "done\n"
            + $"master=${{master:-${{fallback:-{first}}}}}\n";
    }

    private static string Script(string path, string conf, bool overwrite, string server, string prologue = "") =>
        "set -eu\numask 077\nmkdir -p \"$(dirname " + path + ")\"\n" + prologue
        + (overwrite ? string.Empty : $"if [ ! -s {path} ]; then\n")
        + $"cat > {path} <<EOF\n{conf}EOF\n"
        + (overwrite ? string.Empty : "fi\n")
        + $"exec {server} {path}\n";
}
