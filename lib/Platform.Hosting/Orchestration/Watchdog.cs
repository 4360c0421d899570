using System.Diagnostics;
using System.Globalization;

namespace Platform.Hosting.Orchestration;

/// <summary>
/// Guarantees that no child survives the AppHost, even when the AppHost is killed with SIGKILL. A small bash process in
/// its own session reads the process groups of the children from a pipe whose write end only the AppHost holds; when
/// the pipe closes (the AppHost exited in any way) it signals the groups still registered, then kills what remains.
/// Children are group leaders (started through setsid), so their own children go with them.
/// </summary>
internal sealed class Watchdog : IDisposable
{
    private const string Script = """
        declare -A groups
        while read -r op pgid sig; do
          case "$op" in
            add) groups[$pgid]=$sig ;;
            del) unset "groups[$pgid]" ;;
          esac
        done
        [ ${#groups[@]} -eq 0 ] && exit 0
        for g in "${!groups[@]}"; do kill -s "${groups[$g]}" -- "-$g" 2>/dev/null; done
        for _ in $(seq 1 50); do
          alive=0
          for g in "${!groups[@]}"; do kill -0 -- "-$g" 2>/dev/null && alive=1; done
          [ $alive -eq 0 ] && exit 0
          sleep 0.1
        done
        for g in "${!groups[@]}"; do kill -KILL -- "-$g" 2>/dev/null; done
        """;

    private readonly Process _process;
    private readonly Lock _lock = new();
    private bool _disposed;

    public Watchdog()
    {
        var psi = new ProcessStartInfo("setsid")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = false,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("bash");
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(Script);
        _process = Process.Start(psi) ?? throw new DistributedApplicationException("Could not start the process watchdog (setsid bash).");
        _process.StandardInput.AutoFlush = true;
    }

    public int ProcessId => _process.Id;

    public void Register(int pgid, int signal) => Write($"add {pgid.ToString(CultureInfo.InvariantCulture)} {signal.ToString(CultureInfo.InvariantCulture)}");

    public void Unregister(int pgid) => Write($"del {pgid.ToString(CultureInfo.InvariantCulture)} 0");

    private void Write(string line)
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            try
            {
                _process.StandardInput.WriteLine(line);
            }
            catch (IOException)
            {
                // The watchdog died; children are still stopped by the orchestrator on a normal exit.
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            try
            {
                _process.StandardInput.Close();
            }
            catch (IOException)
            {
            }
        }

        if (!_process.WaitForExit(TimeSpan.FromSeconds(7)))
        {
            _process.Kill();
        }

        _process.Dispose();
    }
}
