using System.Globalization;

namespace Platform.TestSupport;

public sealed partial class RedisTopology
{
    /// <summary>Sends a command to a node (AUTH first for data nodes).</summary>
    public Task<object?> CommandAsync(int port, params string[] args)
    {
        var node = Node(port);
        return RespWire.CommandAsync(port, node.IsSentinel ? null : Password, args);
    }

    /// <summary>Asks a Sentinel to fail over and waits until every Sentinel announces the new master (and, with
    /// <paramref name="waitForReplicas"/>, until the old master has rejoined as a replica). Returns the new master's port.</summary>
    public async Task<int> FailoverAsync(bool waitForReplicas = true, CancellationToken ct = default)
    {
        RequireSentinels();
        var old = MasterPort;
        // A failover still in progress, or a replica not yet fit to be promoted, is asked again.
        await Eventually.UntilAsync(async () =>
            {
                await CommandAsync(SentinelNodes.First(s => s.IsRunning).Port, "SENTINEL", "FAILOVER", ServiceName);
                return true;
            }, "a Sentinel to accept SENTINEL FAILOVER", ct, interval: TimeSpan.FromMilliseconds(200),
            retryWhen: e => e is RespWireException && (e.Message.Contains("INPROG", StringComparison.Ordinal) || e.Message.Contains("NOGOODSLAVE", StringComparison.Ordinal)));

        var port = await WaitForNewMasterAsync(old, ct);
        if (waitForReplicas)
        {
            await WaitUntilStableAsync(port, ct);
        }

        return port;
    }

    /// <summary>kill -9 of the current master. Returns its port; does not wait for the failover.</summary>
    public Task<int> KillMasterAsync()
    {
        var node = Node(MasterPort);
        KillNode(node);
        return Task.FromResult(node.Port);
    }

    /// <summary>Waits until every running Sentinel reports a master other than <paramref name="oldMasterPort"/> and
    /// that node answers ROLE with master. Returns the new master's port.</summary>
    public async Task<int> WaitForNewMasterAsync(int oldMasterPort, CancellationToken ct = default)
    {
        RequireSentinels();
        var port = await Eventually.UntilAsync(async () =>
        {
            var ports = new HashSet<int>();
            foreach (var s in SentinelNodes.Where(s => s.IsRunning))
            {
                ports.Add(await SentinelMasterPortAsync(s.Port) ?? -1);
            }

            return ports.Count == 1 && ports.First() is var p && p > 0 && p != oldMasterPort && await RoleAsync(p) == "master" ? p : -1;
        }, p => p > 0, $"every Sentinel to name one new master in place of {oldMasterPort}", ct, interval: TimeSpan.FromMilliseconds(100));
        MasterPort = port;
        foreach (var n in DataNodes)
        {
            n.Role = n.Port == port ? RedisNodeRole.Master : RedisNodeRole.Replica;
        }

        return port;
    }

    /// <summary>Kills a node with SIGKILL and starts it again on the same port with its (possibly rewritten) config.</summary>
    public async Task RestartNodeAsync(int port, CancellationToken ct = default)
    {
        var node = Node(port);
        KillNode(node);
        node.Process?.Dispose();
        Launch(node);
        await WaitForPingAsync(node, ct);
    }

    /// <summary>Kills every ordinary client connection on every running data node, leaving replication and Sentinel
    /// links alone. Returns how many were killed.</summary>
    public async Task<int> ClientKillAllAsync(CancellationToken ct = default)
    {
        var killed = 0;
        foreach (var node in DataNodes.Where(n => n.IsRunning))
        {
            var list = (string?)await CommandAsync(node.Port, "CLIENT", "LIST") ?? "";
            foreach (var line in list.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var fields = line.Split(' ').Select(f => f.Split('=', 2)).Where(f => f.Length == 2).ToDictionary(f => f[0], f => f[1]);
                var flags = fields.GetValueOrDefault("flags", "");
                if (fields.GetValueOrDefault("name", "").StartsWith("sentinel-", StringComparison.Ordinal) ||
                    flags.Contains('S', StringComparison.Ordinal) || flags.Contains('M', StringComparison.Ordinal) ||
                    fields.GetValueOrDefault("cmd", "") == "client|list")
                {
                    continue;
                }

                try
                {
                    await CommandAsync(node.Port, "CLIENT", "KILL", "ID", fields["id"]);
                    killed++;
                }
                catch (RespWireException)
                {
                    // it went away on its own
                }

                ct.ThrowIfCancellationRequested();
            }
        }

        return killed;
    }

    /// <summary>Waits until the master has all running replicas online and every running Sentinel agrees on it and
    /// knows the other Sentinels and the replicas.</summary>
    public async Task WaitUntilStableAsync(int masterPort, CancellationToken ct = default)
    {
        var replicas = DataNodes.Count(n => n.IsRunning && n.Port != masterPort);
        var sentinels = SentinelNodes.Count(s => s.IsRunning);
        await Eventually.UntilAsync(() => IsStableAsync(masterPort, replicas, sentinels),
            $"master {masterPort} to have its {replicas} replica(s) online and {sentinels} Sentinel(s) agreeing on it", ct, interval: TimeSpan.FromMilliseconds(100));
        MasterPort = masterPort;
    }

    private async Task<bool> IsStableAsync(int masterPort, int replicas, int sentinels)
    {
        try
        {
            if (await RoleAsync(masterPort) != "master")
            {
                return false;
            }

            foreach (var other in DataNodes.Where(n => n.IsRunning && n.Port != masterPort))
            {
                // Sentinel waits ~8 s before demoting a returning old master; do what it would do, sooner.
                if (await RoleAsync(other.Port) == "master")
                {
                    await CommandAsync(other.Port, "REPLICAOF", "127.0.0.1", masterPort.ToString(CultureInfo.InvariantCulture));
                    await CommandAsync(other.Port, "CONFIG", "REWRITE");
                }
            }

            var info = (string?)await CommandAsync(masterPort, "INFO", "replication") ?? "";
            var online = info.Split('\n').Count(l => l.StartsWith("slave", StringComparison.Ordinal) && l.Contains("state=online", StringComparison.Ordinal));
            if (online < replicas)
            {
                return false;
            }

            foreach (var s in SentinelNodes.Where(s => s.IsRunning))
            {
                if (await SentinelMasterPortAsync(s.Port) != masterPort)
                {
                    return false;
                }

                var peers = (object?[]?)await CommandAsync(s.Port, "SENTINEL", "SENTINELS", ServiceName) ?? [];
                var known = (object?[]?)await CommandAsync(s.Port, "SENTINEL", "REPLICAS", ServiceName) ?? [];
                var healthy = known.OfType<object?[]>().Count(r => Field(r, "flags") == "slave");
                if (peers.Length < sentinels - 1 || healthy < replicas)
                {
                    return false;
                }
            }

            return true;
        }
        catch (Exception e) when (e is RespWireException or IOException or System.Net.Sockets.SocketException or OperationCanceledException)
        {
            return false;
        }
    }

    private static string? Field(object?[] flat, string name)
    {
        for (var i = 0; i + 1 < flat.Length; i += 2)
        {
            if ((string?)flat[i] == name)
            {
                return flat[i + 1] as string;
            }
        }

        return null;
    }

    private async Task<int?> SentinelMasterPortAsync(int sentinelPort)
    {
        try
        {
            var reply = await CommandAsync(sentinelPort, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", ServiceName) as object?[];
            return reply is [_, string port] ? int.Parse(port, CultureInfo.InvariantCulture) : null;
        }
        catch (Exception e) when (e is RespWireException or IOException or System.Net.Sockets.SocketException or OperationCanceledException)
        {
            return null;
        }
    }

    private async Task<string?> RoleAsync(int port)
    {
        try
        {
            return (await CommandAsync(port, "ROLE") as object?[])?[0] as string;
        }
        catch (Exception e) when (e is RespWireException or IOException or System.Net.Sockets.SocketException or OperationCanceledException)
        {
            return null;
        }
    }

    private Task WaitForPingAsync(RedisNode node, CancellationToken ct) =>
        Eventually.UntilAsync(async () =>
        {
            if (node.Process is { HasExited: true } p)
            {
                var log = Directory.GetFiles(Path.GetDirectoryName(node.ConfigPath)!, "*.log").Select(File.ReadAllText).FirstOrDefault();
                throw new InvalidOperationException($"{node} exited with code {p.ExitCode}: {log}");
            }

            return (string?)await CommandAsync(node.Port, "PING") == "PONG";
        }, $"{node} to answer PING", ct, retryWhen: e => e is RespWireException or IOException or System.Net.Sockets.SocketException);

    private void KillNode(RedisNode node)
    {
        LocalProcesses.Kill(node.Process);
        File.Delete(PidFile(node));
    }

    private RedisNode Node(int port) =>
        _nodes.FirstOrDefault(n => n.Port == port) ?? throw new ArgumentException($"no node on port {port}", nameof(port));

    private void RequireSentinels()
    {
        if (!HasSentinels)
        {
            throw new InvalidOperationException("this topology has no Sentinels");
        }
    }
}
