using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace Platform.Hosting.Publishing.Tests;

/// <summary>A published container as the tests run it: the command line it starts with and its environment.</summary>
public sealed record ContainerStart(IReadOnlyList<string> CommandLine, IReadOnlyDictionary<string, string> Environment);

/// <summary>
/// Redis nodes and Sentinels started for real from the published start scripts, as local redis-server and
/// redis-sentinel processes. A script runs as a pod or a Compose container would run it (<c>/bin/sh -c</c> with the
/// container's environment), with only what a single machine cannot give changed: each container's host name becomes
/// <c>localhost</c> (still a name the scripts' <c>resolve-hostnames</c> must resolve) at a port of its own, and its
/// paths (<c>/data</c>, <c>/tmp</c>) a folder of its own.
/// </summary>
public sealed partial class ScriptedTopology : IAsyncDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("publishing-redis-").FullName;
    private readonly Dictionary<string, int> _ports = [];
    private readonly Dictionary<string, (Process Process, StringBuilder Log)> _processes = [];
    private readonly Dictionary<string, ContainerStart> _starts = [];
    private readonly Dictionary<string, string> _scripts = [];

    private ScriptedTopology(string password) => Password = password;

    public string Password { get; }

    public int Port(string container) => _ports[container];

    public IEnumerable<int> ProcessIds => _processes.Values.Select(p => p.Process.Id);

    /// <summary>Starts every container from its script; <paramref name="password"/> is the one their environment carries.</summary>
    public static ScriptedTopology Start(IReadOnlyDictionary<string, ContainerStart> containers, string password)
    {
        var topology = new ScriptedTopology(password);
        foreach (var name in containers.Keys)
        {
            topology._ports[name] = FreePort();
        }

        foreach (var (name, container) in containers)
        {
            Assert.Equal(["/bin/sh", "-c"], container.CommandLine.Take(2));
            Assert.Equal(3, container.CommandLine.Count);
            topology._starts[name] = container;
            topology.Run(name, new StringBuilder());
        }

        return topology;
    }

    /// <summary>Stops the containers and starts them again from their scripts, as a pod or Compose restarts them.</summary>
    public async Task RestartAsync(params string[] containers)
    {
        foreach (var name in containers)
        {
            var (process, log) = _processes[name];
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(Tools.Cancellation);
            process.Dispose();
            lock (log)
            {
                log.AppendLine("--- restarted ---");
            }

            Run(name, log);
        }
    }

    private void Run(string name, StringBuilder log)
    {
        var container = _starts[name];
        var folder = Folder(name);
        var info = new ProcessStartInfo("/bin/sh") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("-c");
        var script = Localize(name, container.CommandLine[2], folder);
        info.ArgumentList.Add(script);
        _scripts[name] = script;
        foreach (var (key, value) in container.Environment)
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes[name] = (process, log);
    }

    /// <summary>The script with the host names, ports and paths of one machine; no container's name may remain.</summary>
    public string Localize(string container, string text, string folder)
    {
        foreach (var (other, port) in _ports)
        {
            // "<host> <port>": replicaof, sentinel monitor.
            text = Regex.Replace(text, $@"(?<!\w){Regex.Escape(other)} (6379|26379)\b", $"localhost {port}");
        }

        text = PortLine().Replace(text, $"port {_ports[container]}");
        text = AnnounceLine().Replace(text, "$1 localhost");
        text = ProbePort().Replace(text, $"-p {_ports[container]}");
        text = DataPath().Replace(text, folder);
        foreach (var other in _ports.Keys)
        {
            Assert.False(Regex.IsMatch(text, $@"(?<!\w){Regex.Escape(other)}(?![\w-])"), $"The script of {container} still names {other}:\n{text}");
        }

        return text;
    }

    /// <summary>Runs redis-cli against a container, authenticated as the probes are (REDISCLI_AUTH); returns its output lines.</summary>
    public async Task<string[]> CliAsync(string container, params string[] args)
    {
        var result = await Tools.RunAsync("redis-cli", ["-h", "127.0.0.1", "-p", _ports[container].ToString(System.Globalization.CultureInfo.InvariantCulture), .. args],
            _root, TimeSpan.FromSeconds(10), new Dictionary<string, string> { ["REDISCLI_AUTH"] = Password });
        return result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>Runs a published probe command (<c>/bin/sh -c</c>) with the given environment, at the container's port here.</summary>
    public async Task<int> ProbeAsync(string container, string command, IReadOnlyDictionary<string, string> environment)
    {
        var result = await Tools.RunAsync("/bin/sh", ["-c", Localize(container, command, Folder(container))], _root, TimeSpan.FromSeconds(10), environment);
        return result.ExitCode;
    }

    /// <summary>Every process's output, for a failure message.</summary>
    public string Logs()
    {
        var text = new StringBuilder();
        foreach (var (name, (process, log)) in _processes)
        {
            lock (log)
            {
                text.Append("--- ").Append(name).Append(process.HasExited ? $" (exited {process.ExitCode})" : string.Empty).Append('\n')
                    .Append(string.Join('\n', log.ToString().Split('\n').TakeLast(25))).Append('\n')
                    .Append("script:\n").Append(_scripts[name]).Append('\n');
            }
        }

        return text.ToString();
    }

    /// <summary>What <c>ps</c> shows of a running process: its command line.</summary>
    public string CommandLineOf(int pid) => File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');

    public async ValueTask DisposeAsync()
    {
        foreach (var (process, _) in _processes.Values)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            await process.WaitForExitAsync(CancellationToken.None);
            process.Dispose();
        }

        Directory.Delete(_root, recursive: true);
    }

    /// <summary>The container's own folder, named by its place (a container's name must not appear in a localized script).</summary>
    private string Folder(string container) =>
        Directory.CreateDirectory(Path.Combine(_root, $"container-{_ports.Keys.ToList().IndexOf(container)}")).FullName;

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [GeneratedRegex(@"(?m)^port (6379|26379)$")]
    private static partial Regex PortLine();

    [GeneratedRegex(@"(?m)^(replica-announce-ip|sentinel announce-ip) \S+$")]
    private static partial Regex AnnounceLine();

    [GeneratedRegex(@"/(data|tmp)\b")]
    private static partial Regex DataPath();

    [GeneratedRegex(@"-p (6379|26379)\b")]
    private static partial Regex ProbePort();
}
