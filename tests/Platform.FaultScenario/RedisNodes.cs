using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Platform.TestSupport;
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

    /// <summary>The process id <paramref name="node"/> reports (INFO server), or null while it does not answer.</summary>
    public async Task<int?> ProcessIdAsync(string node) =>
        (await InfoAsync(node, "server").ConfigureAwait(false))?.GetValueOrDefault("process_id") is { } pid
            ? int.Parse(pid, System.Globalization.CultureInfo.InvariantCulture)
            : null;

    /// <summary>Whether <paramref name="replica"/> is a replica with its link up, and its master lists it online.</summary>
    public async Task<bool> ReplicatingAsync(string replica, string master)
    {
        // Both asked at once: this is polled while a recovery is timed.
        var replicaAsk = ReplicationAsync(replica);
        var masterAsk = ReplicationAsync(master);
        var (replicaInfo, masterInfo) = (await replicaAsk.ConfigureAwait(false), await masterAsk.ConfigureAwait(false));
        return replicaInfo?.GetValueOrDefault("role") == "slave" && replicaInfo.GetValueOrDefault("master_link_status") == "up"
            && masterInfo?.GetValueOrDefault("slave0") is { } slave && slave.Contains("state=online", StringComparison.Ordinal);
    }

    /// <summary>
    /// Where each of <paramref name="processes"/> (pid, name) holds pub/sub subscriptions: per node, its role and the
    /// subscribed connections of those processes (found through their sockets), with their channel counts.
    /// </summary>
    public async Task<string> DescribeSubscriptionsAsync(IReadOnlyDictionary<int, string> processes)
    {
        var owners = SocketOwners(processes);
        var lines = new List<string>();
        foreach (var node in Names)
        {
            try
            {
                await using var connection = await ConnectAsync(node).ConfigureAwait(false);
                var server = connection.GetServers()[0];
                var role = (await ReplicationAsync(node).ConfigureAwait(false))?.GetValueOrDefault("role") ?? "?";
                var clients = await server.ClientListAsync().ConfigureAwait(false);
                // Only the processes asked about: the others' connections (Sentinels, health checks, other services) are noise here.
                var pubsub = clients.Where(c => c.SubscriptionCount > 0 && c.Address is System.Net.IPEndPoint)
                    .Select(c => (Client: c, Owner: owners.GetValueOrDefault((((System.Net.IPEndPoint)c.Address!).Port, Port(node)))))
                    .Where(c => c.Owner is not null)
                    .Select(c => $"{c.Owner} sub={c.Client.SubscriptionCount} age={c.Client.AgeSeconds}s");
                lines.Add($"{node} ({role}): {string.Join(", ", pubsub)}");
            }
            catch (RedisException ex)
            {
                lines.Add($"{node}: {ex.Message}");
            }
        }

        return string.Join("; ", lines);
    }

    // (local port, remote port) of a TCP connection -> the name of the process (or its descendant: DCP may start a
    // project through a launcher) that owns it. Both ports: Linux reuses a local port towards different remote ports.
    private static Dictionary<(int Local, int Remote), string> SocketOwners(IReadOnlyDictionary<int, string> processes)
    {
        var inodes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (pid, name) in processes)
        {
            foreach (var process in Descendants(pid))
            {
                try
                {
                    foreach (var fd in Directory.EnumerateFileSystemEntries($"/proc/{process}/fd"))
                    {
                        if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith("socket:[", StringComparison.Ordinal))
                        {
                            inodes[target[8..^1]] = $"{name}({process})";
                        }
                    }
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                }
            }
        }

        static int PortOf(string address) => int.Parse(address.Split(':')[1], System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
        var ports = new Dictionary<(int, int), string>();
        foreach (var table in (string[])["/proc/net/tcp", "/proc/net/tcp6"])
        {
            foreach (var row in File.Exists(table) ? File.ReadLines(table).Skip(1) : [])
            {
                var cols = row.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (cols.Length > 9 && inodes.TryGetValue(cols[9], out var owner))
                {
                    ports[(PortOf(cols[1]), PortOf(cols[2]))] = owner;
                }
            }
        }

        return ports;
    }

    private static IEnumerable<int> Descendants(int pid)
    {
        yield return pid;
        var children = new List<int>();
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                children.AddRange(File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(c => int.Parse(c, System.Globalization.CultureInfo.InvariantCulture)));
            }
        }
        catch (IOException)
        {
        }

        foreach (var child in children.SelectMany(Descendants))
        {
            yield return child;
        }
    }

    private int Port(string node) => app.GetEndpoint(node, "tcp").Port;

    private Task<ConnectionMultiplexer> ConnectAsync(string node) => ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions
    {
        EndPoints = { { "127.0.0.1", Port(node) } },
        Password = password,
        ConnectTimeout = 1000,
        SyncTimeout = 1000,
        AsyncTimeout = 1000,
        AbortOnConnectFail = true,
        AllowAdmin = true,
        ClientName = "fault-scenario",
    });

    private Task<Dictionary<string, string>?> ReplicationAsync(string node) => InfoAsync(node, "replication");

    // One plain connection per question (RespWire): polled while a recovery is timed, where a StackExchange.Redis
    // connection's handshake, or its connect timeout against a node that is down, would be part of the figure.
    private async Task<Dictionary<string, string>?> InfoAsync(string node, string section)
    {
        try
        {
            // A node that is frozen (SIGSTOP) accepts the connection and answers nothing: give up as the former client did.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            var info = (string?)await RespWire.CommandAsync(Port(node), password, ["INFO", section], timeout.Token).ConfigureAwait(false) ?? "";
            return info.Split("\r\n").Select(l => l.Split(':', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException or RespWireException or OperationCanceledException)
        {
            return null;
        }
    }
}
