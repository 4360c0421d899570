using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Platform.TestSupport;

/// <summary>What every throw-away server here needs: a free loopback port, a watchdog, a hard kill and a folder removed.</summary>
internal static class LocalProcesses
{
    /// <summary>A port free right now (bound and released: another process may still take it before the server binds).</summary>
    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// A shell that outlives a crashed test host: it polls the host's pid and, once it is gone, runs
    /// <paramref name="killCommand"/> and removes <paramref name="folder"/>. Normal shutdown kills the watchdog first.
    /// </summary>
    public static Process? StartWatchdog(string killCommand, string folder)
    {
        var script = $"while kill -0 {Environment.ProcessId} 2>/dev/null; do sleep 1; done; {killCommand}; rm -rf '{folder}'";
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        return Process.Start(psi);
    }

    /// <summary>SIGKILLs the process and its children and waits up to 5 s for it to go.</summary>
    public static void Kill(Process? p)
    {
        try
        {
            if (p is { HasExited: false })
            {
                p.Kill(entireProcessTree: true);
                p.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }

    /// <summary>Removes the folder, leaving whatever cannot be removed to the OS's temp clean-up.</summary>
    public static void DeleteFolder(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
