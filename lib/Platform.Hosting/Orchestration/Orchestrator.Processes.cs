using System.Diagnostics;
using Platform.Hosting.ApplicationModel;

namespace Platform.Hosting.Orchestration;

/// <summary>Launching instances, watching them exit, and their health probes.</summary>
internal sealed partial class Orchestrator
{
    private void Launch(InstanceRuntime instance, LaunchSpec spec)
    {
        // setsid makes the child the leader of a new process group and session: Ctrl+C in the terminal reaches only
        // the AppHost (which stops children in order), and a signal to the group reaches the child's own children.
        var psi = new ProcessStartInfo("setsid")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = spec.WorkingDirectory,
        };
        if (spec.RunAsUser is { } user)
        {
            foreach (var a in new[] { Executables.Find("runuser", "util-linux"), "-u", user, "--" })
            {
                psi.ArgumentList.Add(a);
            }
        }

        psi.ArgumentList.Add(spec.FileName);
        foreach (var a in spec.Args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var e in spec.Environment)
        {
            psi.Environment[e.Name] = e.Value;
        }

        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var log = instance.Log;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                log.Write(e.Data, isError: false);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                log.Write(e.Data, isError: true);
            }
        };

        log.Write($"starting: {spec}", isError: false, isSystem: true);
        process.Start();
        _watchdog!.Register(process.Id, spec.StopSignal);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();

        instance.Spec = spec;
        instance.Process = process;
        instance.ProcessId = process.Id;
        instance.Environment = spec.Environment;
        instance.StartedAt = DateTimeOffset.UtcNow;
        instance.Exited = InstanceRuntime.NewExited();
        SetInstance(instance, ResourceState.Running, instance.Owner.HasHealthProbe ? HealthStatus.Unhealthy : HealthStatus.Healthy);
        _ = MonitorAsync(instance, process);
        StartHealthLoop(instance);
    }

    private async Task MonitorAsync(InstanceRuntime instance, Process process)
    {
        await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        var pgid = process.Id;
        // The leader may exit before the rest of its group (runuser before postgres): the instance has stopped only
        // when the whole group is gone, so a restart never finds the old server still holding the port or data folder.
        var deadline = Stopwatch.StartNew();
        while (Native.GroupAlive(pgid) && deadline.Elapsed < _context.Options.StopTimeout)
        {
            await Task.Delay(20).ConfigureAwait(false);
        }

        if (Native.GroupAlive(pgid))
        {
            Native.SignalGroup(pgid, Native.SIGKILL);
        }

        _watchdog?.Unregister(pgid);
        var code = process.ExitCode;
        process.Dispose();
        if (instance.HealthCts is { } cts)
        {
            await cts.CancelAsync().ConfigureAwait(false);
        }

        instance.Process = null;
        instance.ExitCode = code;
        instance.StoppedAt = DateTimeOffset.UtcNow;
        instance.Log.Write($"exited with code {code}", isError: code != 0 && !instance.StopRequested, isSystem: true);
        SetInstance(instance, instance.StopRequested || code != 0 ? ResourceState.Exited : ResourceState.Finished, null);
        if (!instance.StopRequested && !_stopping && code != 0)
        {
            LogInstanceExited(instance.Name, code);
        }

        instance.Exited.TrySetResult();
    }

    private void StartHealthLoop(InstanceRuntime instance)
    {
        instance.HealthCts?.Dispose();
        var cts = CancellationTokenSource.CreateLinkedTokenSource(_lifetime.Token);
        instance.HealthCts = cts;
        if (instance.Owner.HasHealthProbe)
        {
            _ = HealthLoopAsync(instance, cts.Token);
        }
    }

    private async Task HealthLoopAsync(InstanceRuntime instance, CancellationToken cancellationToken)
    {
        var since = Stopwatch.StartNew();
        while (!cancellationToken.IsCancellationRequested)
        {
            HealthResult result;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(3));
                result = await instance.Owner.ProbeAsync(instance, _context, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // every probe failure means unhealthy
            catch (Exception ex)
#pragma warning restore CA1031
            {
                result = new HealthResult(false, ex is OperationCanceledException ? "health probe timed out" : ex.Message);
            }

            if (cancellationToken.IsCancellationRequested || _stopping || instance.State != ResourceState.Running)
            {
                return;
            }

            var health = result.Healthy ? HealthStatus.Healthy : HealthStatus.Unhealthy;
            if (health != instance.Health || result.Description != instance.HealthDescription || result.Role != instance.Role)
            {
                instance.HealthDescription = result.Description;
                instance.Role = result.Role ?? instance.Role;
                SetInstance(instance, ResourceState.Running, health);
            }

            // Poll fast while starting so dependents start as soon as possible; slower once healthy.
            var delay = result.Healthy ? TimeSpan.FromSeconds(1) : since.Elapsed < TimeSpan.FromSeconds(30) ? TimeSpan.FromMilliseconds(100) : TimeSpan.FromSeconds(1);
            try
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
