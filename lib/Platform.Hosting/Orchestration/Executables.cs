namespace Platform.Hosting.Orchestration;

/// <summary>Finds the machine's binaries and says which Debian package provides a missing one.</summary>
internal static class Executables
{
    private static readonly string[] ExtraDirectories = ["/usr/sbin", "/usr/local/sbin", "/sbin"];

    public static string Find(string name, string debianPackage, IEnumerable<string>? extraDirectories = null)
    {
        if (Path.IsPathRooted(name))
        {
            return File.Exists(name) ? name : throw Missing(name, debianPackage);
        }

        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        var dirs = (extraDirectories ?? []).Concat(path.Split(':', StringSplitOptions.RemoveEmptyEntries)).Concat(ExtraDirectories);
        foreach (var dir in dirs)
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw Missing(name, debianPackage);
    }

    /// <summary>The newest PostgreSQL's bin folder (Debian installs /usr/lib/postgresql/&lt;major&gt;/bin).</summary>
    public static IEnumerable<string> PostgresBinDirectories() =>
        Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0)
                .Select(d => Path.Combine(d, "bin"))
            : [];

    private static DistributedApplicationException Missing(string name, string debianPackage) =>
        new($"'{name}' was not found (looked on PATH and in the usual system folders). Install the Debian package '{debianPackage}': sudo apt-get install -y {debianPackage}");

    /// <summary>The dotnet host that runs project resources.</summary>
    public static string Dotnet()
    {
        var hostPath = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(hostPath) && File.Exists(hostPath))
        {
            return hostPath;
        }

        var processPath = Environment.ProcessPath;
        if (processPath is not null && Path.GetFileNameWithoutExtension(processPath) == "dotnet")
        {
            return processPath;
        }

        var root = Environment.GetEnvironmentVariable("DOTNET_ROOT");
        if (!string.IsNullOrEmpty(root) && File.Exists(Path.Combine(root, "dotnet")))
        {
            return Path.Combine(root, "dotnet");
        }

        try
        {
            return Find("dotnet", "dotnet-sdk-10.0");
        }
        catch (DistributedApplicationException)
        {
            throw new DistributedApplicationException("The dotnet host was not found: install the .NET 10 SDK (https://learn.microsoft.com/dotnet/core/install/linux-debian).");
        }
    }
}
