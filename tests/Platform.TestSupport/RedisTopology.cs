using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;

namespace Platform.TestSupport;

/// <summary>
/// A real Redis deployment for tests: a master, replicas and Sentinels as redis-server/redis-sentinel processes on
/// random loopback ports in a temporary folder. Everything is killed and deleted on dispose, on process exit, and by a
/// watchdog shell if the test host dies without running either.
/// </summary>
public sealed partial class RedisTopology : IAsyncDisposable
{
    private readonly RedisTopologyOptions _options;
    private readonly List<RedisNode> _nodes = [];
    private readonly EventHandler _onExit;
    private Process? _watchdog;
    private int _disposed;

    private RedisTopology(RedisTopologyOptions options, string folder, string password)
    {
        _options = options;
        Folder = folder;
        Password = password;
        _onExit = (_, _) => KillAll();
        AppDomain.CurrentDomain.ProcessExit += _onExit;
    }

    public string Folder { get; }

    public string Password { get; }

    public string ServiceName => _options.ServiceName;

    public IReadOnlyList<RedisNode> Nodes => _nodes;

    public IEnumerable<RedisNode> DataNodes => _nodes.Where(n => !n.IsSentinel);

    public IEnumerable<RedisNode> SentinelNodes => _nodes.Where(n => n.IsSentinel);

    public bool HasSentinels => _nodes.Any(n => n.IsSentinel);

    /// <summary>Port of the current master as last observed (updated by failover helpers).</summary>
    public int MasterPort { get; private set; }

    /// <summary>The Sentinel form when there are Sentinels, else the direct form.</summary>
    public string ConnectionString => HasSentinels
        ? string.Join(',', SentinelNodes.Select(s => $"127.0.0.1:{s.Port}")) + $",serviceName={ServiceName}" + PasswordPart
        : MasterConnectionString;

    public string MasterConnectionString => $"127.0.0.1:{MasterPort}" + PasswordPart;

    private string PasswordPart => Password.Length == 0 ? "" : $",password={Password}";

    public static async Task<RedisTopology> StartAsync(RedisTopologyOptions? options = null, CancellationToken ct = default)
    {
        // A free port is found by binding and releasing it, so another process can take it before our server binds:
        // start again on fresh ports when that happens rather than fail a whole test collection.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await StartOnceAsync(options, ct);
            }
            catch (InvalidOperationException e) when (attempt < 3 && e.Message.Contains("Address already in use", StringComparison.Ordinal))
            {
            }
        }
    }

    private static async Task<RedisTopology> StartOnceAsync(RedisTopologyOptions? options, CancellationToken ct)
    {
        options ??= new RedisTopologyOptions();
        var folder = Path.Combine(Path.GetTempPath(), "platform-redis-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path.Combine(folder, "pids"));
        var password = options.Password ?? Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
        var topology = new RedisTopology(options, folder, password);
        try
        {
            topology.StartWatchdog();
            await topology.StartProcessesAsync(ct);
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(options.StartTimeout);
            await topology.WaitUntilStableAsync(topology.MasterPort, cts.Token);
            return topology;
        }
        catch
        {
            await topology.DisposeAsync();
            throw;
        }
    }

    private async Task StartProcessesAsync(CancellationToken ct)
    {
        var master = AddDataNode(RedisNodeRole.Master, masterPort: null);
        MasterPort = master.Port;
        for (var i = 0; i < _options.Replicas; i++)
        {
            AddDataNode(RedisNodeRole.Replica, master.Port);
        }

        for (var i = 0; i < _options.Sentinels; i++)
        {
            AddSentinel(master.Port);
        }

        foreach (var node in _nodes)
        {
            Launch(node);
        }

        foreach (var node in _nodes)
        {
            await WaitForPingAsync(node, ct);
        }
    }

    private RedisNode AddDataNode(RedisNodeRole role, int? masterPort)
    {
        var port = LocalProcesses.FreeLoopbackPort();
        var dir = Path.Combine(Folder, port.ToString(CultureInfo.InvariantCulture));
        Directory.CreateDirectory(dir);
        var lines = new List<string>
        {
            $"port {port}", "bind 127.0.0.1", "protected-mode no", "daemonize no", $"dir {dir}",
            $"logfile {Path.Combine(dir, "redis.log")}", "save \"\"", "appendonly no",
            "repl-diskless-sync yes", "repl-diskless-sync-delay 0", "replica-announce-ip 127.0.0.1",
        };
        if (Password.Length > 0)
        {
            lines.Add($"requirepass {Password}");
            lines.Add($"masterauth {Password}");
        }

        if (_options.MaxMemory is { } mm)
        {
            lines.Add($"maxmemory {mm}");
            lines.Add("maxmemory-policy allkeys-lru");
        }

        if (masterPort is { } mp)
        {
            lines.Add($"replicaof 127.0.0.1 {mp}");
        }

        lines.AddRange(_options.ExtraConfig);
        var conf = Path.Combine(dir, "redis.conf");
        File.WriteAllLines(conf, lines);
        var node = new RedisNode(port, role, conf);
        _nodes.Add(node);
        return node;
    }

    private void AddSentinel(int masterPort)
    {
        var port = LocalProcesses.FreeLoopbackPort();
        var dir = Path.Combine(Folder, "s" + port.ToString(CultureInfo.InvariantCulture));
        Directory.CreateDirectory(dir);
        var quorum = _options.Sentinels >= 2 ? 2 : 1;
        var name = _options.ServiceName;
        var lines = new List<string>
        {
            $"port {port}", "bind 127.0.0.1", "protected-mode no", "daemonize no", $"dir {dir}",
            $"logfile {Path.Combine(dir, "sentinel.log")}", "sentinel announce-ip 127.0.0.1",
            $"sentinel monitor {name} 127.0.0.1 {masterPort} {quorum}",
            $"sentinel down-after-milliseconds {name} {_options.DownAfterMilliseconds}",
            $"sentinel failover-timeout {name} {_options.FailoverTimeoutMilliseconds}",
            $"sentinel parallel-syncs {name} 1",
        };
        if (Password.Length > 0)
        {
            lines.Add($"sentinel auth-pass {name} {Password}");
        }

        var conf = Path.Combine(dir, "sentinel.conf");
        File.WriteAllLines(conf, lines);
        _nodes.Add(new RedisNode(port, RedisNodeRole.Sentinel, conf));
    }

    private void Launch(RedisNode node)
    {
        var psi = new ProcessStartInfo(node.IsSentinel ? "redis-sentinel" : "redis-server")
        {
            UseShellExecute = false,
            RedirectStandardOutput = false,
            RedirectStandardError = false,
        };
        psi.ArgumentList.Add(node.ConfigPath);
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new InvalidOperationException("process did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException(
                $"could not start {psi.FileName}: install the Debian package redis-server/redis-sentinel ({e.Message})", e);
        }

        node.Process = process;
        File.WriteAllText(PidFile(node), process.Id.ToString(CultureInfo.InvariantCulture));
    }

    private string PidFile(RedisNode node) => Path.Combine(Folder, "pids", node.Port.ToString(CultureInfo.InvariantCulture));

    // Once a crashed test host is gone, the watchdog kills every process recorded under pids/ and removes the folder.
    private void StartWatchdog() =>
        _watchdog = LocalProcesses.StartWatchdog($"for f in '{Folder}'/pids/*; do [ -f \"$f\" ] && kill -9 $(cat \"$f\") 2>/dev/null; done", Folder);

    private void KillAll()
    {
        LocalProcesses.Kill(_watchdog);
        foreach (var node in _nodes)
        {
            LocalProcesses.Kill(node.Process);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        AppDomain.CurrentDomain.ProcessExit -= _onExit;
        await Task.Run(KillAll);
        foreach (var node in _nodes)
        {
            node.Process?.Dispose();
        }

        _watchdog?.Dispose();
        LocalProcesses.DeleteFolder(Folder);
    }
}
