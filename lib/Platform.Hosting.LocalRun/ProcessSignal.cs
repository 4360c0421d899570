using System.Diagnostics;
using System.Globalization;

namespace Platform.Hosting.LocalRun;

/// <summary>Signals to processes, which .NET sends none of but SIGKILL.</summary>
public static class ProcessSignal
{
    /// <summary>Sends <paramref name="signal"/> (a name as <c>kill(1)</c> takes it, such as <c>INT</c> or <c>STOP</c>) to process <paramref name="pid"/>.</summary>
    public static async Task SendAsync(int pid, string signal, CancellationToken cancellationToken = default)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + signal, pid.ToString(CultureInfo.InvariantCulture)]) { RedirectStandardError = true })
            ?? throw new InvalidOperationException("kill did not start");
        await kill.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {pid} failed: {await kill.StandardError.ReadToEndAsync(cancellationToken).ConfigureAwait(false)}");
        }
    }
}
