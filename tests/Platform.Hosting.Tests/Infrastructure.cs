using System.Globalization;
using Platform.Hosting.Orchestration;

namespace Platform.Hosting.Tests;

/// <summary>Finds the Redis master the way a Sentinel-aware client does, with the raw RESP probe.</summary>
internal static class SentinelClient
{
    public static async Task<(string Host, int Port)> ResolveMasterAsync(string connectionString, CancellationToken cancellationToken)
    {
        var parts = connectionString.Split(',');
        var password = parts.Single(p => p.StartsWith("password=", StringComparison.Ordinal))["password=".Length..];
        var service = parts.Single(p => p.StartsWith("serviceName=", StringComparison.Ordinal))["serviceName=".Length..];
        foreach (var endpoint in parts.Where(p => !p.Contains('=', StringComparison.Ordinal)))
        {
            var (host, port) = Split(endpoint);
            try
            {
                await using var sentinel = await RespConnection.ConnectAsync(host, port, password, cancellationToken);
                if (await sentinel.ExecuteAsync(cancellationToken, "SENTINEL", "get-master-addr-by-name", service) is object?[] { Length: 2 } address)
                {
                    return ((string)address[0]!, int.Parse((string)address[1]!, CultureInfo.InvariantCulture));
                }
            }
            catch (IOException)
            {
            }
            catch (System.Net.Sockets.SocketException)
            {
            }
        }

        throw new InvalidOperationException("No Sentinel knows the master.");
    }

    public static async Task<RespConnection> ConnectToMasterAsync(string connectionString, CancellationToken cancellationToken)
    {
        var (host, port) = await ResolveMasterAsync(connectionString, cancellationToken);
        var password = connectionString.Split(',').Single(p => p.StartsWith("password=", StringComparison.Ordinal))["password=".Length..];
        var connection = await RespConnection.ConnectAsync(host, port, password, cancellationToken);
        var role = await connection.ExecuteAsync(cancellationToken, "ROLE") as object?[];
        if (role?[0] is not "master")
        {
            await connection.DisposeAsync();
            throw new InvalidOperationException($"{host}:{port} says it is {role?[0]}, not master.");
        }

        return connection;
    }

    private static (string Host, int Port) Split(string endpoint)
    {
        var colon = endpoint.LastIndexOf(':');
        return (endpoint[..colon], int.Parse(endpoint[(colon + 1)..], CultureInfo.InvariantCulture));
    }
}

/// <summary>Processes of an application, found from the instance process ids and their descendants.</summary>
internal static class ProcessTree
{
    public static HashSet<int> Of(DistributedApplication app)
    {
        var roots = app.ResourceNotifications.GetSnapshots().SelectMany(s => s.Instances).Select(i => i.ProcessId).OfType<int>().ToHashSet();
        var all = new HashSet<int>(roots);
        bool added;
        do
        {
            added = false;
            foreach (var pid in AllPids())
            {
                if (!all.Contains(pid) && ParentOf(pid) is { } parent && all.Contains(parent))
                {
                    all.Add(pid);
                    added = true;
                }
            }
        }
        while (added);
        return all;
    }

    /// <summary>Alive means present and not a zombie waiting to be reaped.</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    public static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }

    /// <summary>
    /// Every live process whose command line or working folder mentions the text (e.g. the app's state folder; Redis
    /// rewrites its command line, but runs in its data folder).
    /// </summary>
    public static List<string> Mentioning(string text) =>
        [.. AllPids().Where(IsAlive).Select(pid => $"{CommandLine(pid)} (cwd {WorkingDirectory(pid)})").Where(c => c.Contains(text, StringComparison.Ordinal))];

    private static string WorkingDirectory(int pid)
    {
        try
        {
            return new DirectoryInfo($"/proc/{pid}/cwd").ResolveLinkTarget(returnFinalTarget: false)?.FullName ?? string.Empty;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }

    private static IEnumerable<int> AllPids() =>
        Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Select(n => int.TryParse(n, out var pid) ? pid : 0).Where(p => p > 0);

    private static int? ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[1], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null;
        }
    }
}
