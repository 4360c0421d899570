namespace Aspire.Hosting;

/// <summary>
/// Where run mode keeps what its local processes write: data (with <c>WithDataVolume</c>), configuration files and
/// the files Redis and PostgreSQL rewrite. Git-ignored; delete it to start from scratch.
/// </summary>
public static class LocalState
{
    /// <summary>The configuration key that moves the state folder (relative paths are relative to the AppHost folder).</summary>
    public const string DirectoryKey = "Platform:StateDirectory";

    /// <summary>The state folder of this AppHost: <c>Platform:StateDirectory</c>, else <c>.state</c> beside the AppHost project.</summary>
    public static string GetLocalStateDirectory(this IDistributedApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var configured = builder.Configuration[DirectoryKey];
        return string.IsNullOrEmpty(configured)
            ? Path.Combine(builder.AppHostDirectory, ".state")
            : Path.GetFullPath(configured, builder.AppHostDirectory);
    }

    /// <summary>
    /// Creates <paramref name="path"/> (and the state folders above it) for the current user only. The folders above
    /// are left traversable by others (no listing) so that a process running as another system user, PostgreSQL
    /// under root, can reach its own folder.
    /// </summary>
    public static string EnsurePrivateDirectory(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw NotLinux();
        }

        Directory.CreateDirectory(path);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    /// <summary>Writes <paramref name="contents"/> readable and writable by its owner only: such files hold passwords.</summary>
    public static async Task WritePrivateFileAsync(string path, string contents, CancellationToken cancellationToken)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw NotLinux();
        }

        var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        await using (stream.ConfigureAwait(false))
        {
            var writer = new StreamWriter(stream);
            await using (writer.ConfigureAwait(false))
            {
                await writer.WriteAsync(contents.AsMemory(), cancellationToken).ConfigureAwait(false);
            }
        }

        // UnixCreateMode applies only to new files; an existing one keeps its mode otherwise.
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    // Run mode starts Debian's binaries: it is for Linux (and its file modes) only.
    private static PlatformNotSupportedException NotLinux() =>
        new("Run mode starts Debian's redis-server and postgresql as local processes: it needs Linux.");
}
