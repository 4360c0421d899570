using Aspire.Hosting;

namespace Platform.Hosting.LocalRun;

/// <summary>Finds the programs that run mode starts, and names the Debian package when one is missing.</summary>
public static class DebianBinaries
{
    private static readonly string[] SearchPath =
        [.. (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries), "/usr/sbin", "/usr/bin"];

    /// <summary>The full path of <paramref name="command"/>; throws an error that names <paramref name="package"/> when it is not installed.</summary>
    public static string Find(string command, string package) =>
        SearchPath.Select(dir => Path.Combine(dir, command)).FirstOrDefault(File.Exists)
        ?? throw new DistributedApplicationException(
            $"'{command}' is not installed. Run mode starts it as a local process: install it with 'apt-get install {package}'.");

    /// <summary>A PostgreSQL server program (postgres, initdb) from the newest version under /usr/lib/postgresql.</summary>
    public static string FindPostgres(string command)
    {
        const string root = "/usr/lib/postgresql";
        var found = Directory.Exists(root)
            ? Directory.GetDirectories(root)
                .Select(version => Path.Combine(version, "bin", command))
                .Where(File.Exists)
                .OrderByDescending(path => int.TryParse(Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(path))), out var v) ? v : 0)
                .FirstOrDefault()
            : null;
        return found ?? throw new DistributedApplicationException(
            $"PostgreSQL's '{command}' is not installed. Run mode starts PostgreSQL as a local process: install it with 'apt-get install postgresql'.");
    }

    /// <summary>Whether the AppHost runs as root (PostgreSQL refuses to, so it is started as the postgres user).</summary>
    public static bool IsRoot => Environment.UserName == "root";
}
