using Platform.Hosting.LocalRun;

namespace Platform.Hosting.Tests;

/// <summary>As root, PostgreSQL runs as the postgres user, who must be able to reach its cluster's folder.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class PostgresClusterFolderTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("cluster-folder-");

    [Fact]
    public void BehindAPrivateDirectoryTheClusterMovesToThePostgresUsersHomeOneFolderPerCheckout()
    {
        var home = Directory.CreateDirectory(Path.Combine(_root.FullName, "home")).FullName;
        var checkout = Directory.CreateDirectory(Path.Combine(_root.FullName, "private", "clone"));
        File.SetUnixFileMode(checkout.Parent!.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var state = Path.Combine(checkout.FullName, "AppHost", ".state", "postgres", "postgres");
        var other = Path.Combine(checkout.FullName, "other", ".state", "postgres", "postgres");

        var folder = PostgresClusterFolder.For(state, runsAsOtherUser: true, otherUsersHome: home);

        Assert.StartsWith(Path.Combine(home, "platform") + "/", folder, StringComparison.Ordinal);
        Assert.EndsWith("/postgres", folder, StringComparison.Ordinal);
        Assert.Equal(folder, PostgresClusterFolder.For(state, runsAsOtherUser: true, otherUsersHome: home));
        Assert.NotEqual(folder, PostgresClusterFolder.For(other, runsAsOtherUser: true, otherUsersHome: home));
    }

    [Fact]
    public void WhereOthersCanReachItOrTheServerRunsAsTheSameUserTheClusterStaysInTheStateFolder()
    {
        var home = Directory.CreateDirectory(Path.Combine(_root.FullName, "home")).FullName;
        var open = Directory.CreateDirectory(Path.Combine(_root.FullName, "open", "clone"));
        File.SetUnixFileMode(_root.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherExecute);
        File.SetUnixFileMode(open.Parent!.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherExecute);
        File.SetUnixFileMode(open.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherExecute);
        var reachable = Path.Combine(open.FullName, "state", "postgres", "postgres");
        var hidden = Path.Combine(_root.FullName, "hidden", "state", "postgres", "postgres");
        File.SetUnixFileMode(Directory.CreateDirectory(Path.Combine(_root.FullName, "hidden")).FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        Assert.Equal(reachable, PostgresClusterFolder.For(reachable, runsAsOtherUser: true, otherUsersHome: home));
        Assert.Equal(hidden, PostgresClusterFolder.For(hidden, runsAsOtherUser: false, otherUsersHome: home));
    }

    public void Dispose() => _root.Delete(recursive: true);
}
