using System.Security.Cryptography;
using System.Text;

namespace Platform.Hosting.LocalRun;

/// <summary>
/// Where a local PostgreSQL cluster lives. As root the server runs as the <c>postgres</c> user, who cannot reach a
/// state folder inside a private directory (a clone under <c>/root</c>, or in a <c>mktemp -d</c> folder); then the
/// cluster lives in that user's own home instead, one folder per state folder, so each checkout keeps its own data.
/// </summary>
internal static class PostgresClusterFolder
{
    public static string For(string stateFolder, bool runsAsOtherUser, string otherUsersHome)
    {
        if (!runsAsOtherUser || !Directory.Exists(otherUsersHome) || OthersCanReach(stateFolder))
        {
            return stateFolder;
        }

        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(stateFolder))))[..16];
        return Path.Combine(otherUsersHome, "platform", key, Path.GetFileName(stateFolder));
    }

    // Every existing folder above the cluster's must let others through (execute); those created later are 0755.
    private static bool OthersCanReach(string stateFolder)
    {
        if (!OperatingSystem.IsLinux())
        {
            return true;
        }

        for (var dir = new DirectoryInfo(Path.GetFullPath(stateFolder)).Parent; dir is not null; dir = dir.Parent)
        {
            if (dir.Exists && !File.GetUnixFileMode(dir.FullName).HasFlag(UnixFileMode.OtherExecute))
            {
                return false;
            }
        }

        return true;
    }
}
