using System.Runtime.InteropServices;

namespace Platform.Hosting.Orchestration;

internal static partial class Native
{
    public const int SIGINT = 2;
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;
    private const int ESRCH = 3;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEuid();

    public static bool IsRoot => OperatingSystem.IsLinux() && GetEuid() == 0;

    /// <summary>Signals every process of a process group (children are started as group leaders through setsid).</summary>
    public static void SignalGroup(int pgid, int signal)
    {
        if (pgid > 1)
        {
            _ = Kill(-pgid, signal);
        }
    }

    /// <summary>Whether any process of the group is still alive (zombies of other parents count; ours are reaped).</summary>
    public static bool GroupAlive(int pgid) =>
        pgid > 1 && (Kill(-pgid, 0) == 0 || Marshal.GetLastPInvokeError() != ESRCH);
}
