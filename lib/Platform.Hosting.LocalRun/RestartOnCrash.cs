using System.Collections.Concurrent;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Eventing;
using Aspire.Hosting.Lifecycle;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Platform.Hosting.LocalRun;

/// <summary>Marks a process that run mode starts again when it dies, as Kubernetes restarts a crashed container.</summary>
public sealed class RestartOnCrashAnnotation(TimeSpan backOff, TimeSpan maxDelay) : IResourceAnnotation
{
    /// <summary>
    /// The wait before the second restart in a row (the first is immediate); it doubles with each further crash in a
    /// row, up to <see cref="MaxDelay"/>.
    /// </summary>
    public TimeSpan BackOff { get; } = backOff;

    /// <summary>The longest wait between restarts.</summary>
    public TimeSpan MaxDelay { get; } = maxDelay;

    /// <summary>The wait before restarting after crash number <paramref name="crashInARow"/> (1 for the first) in a row.</summary>
    public TimeSpan DelayBefore(int crashInARow) => crashInARow <= 1
        ? TimeSpan.Zero
        : TimeSpan.FromTicks(Math.Min(MaxDelay.Ticks, BackOff.Ticks * (1L << Math.Min(crashInARow - 2, 16))));
}

/// <summary>
/// Watches the processes marked <see cref="RestartOnCrashAnnotation"/>: one that ends without being asked to stop (no
/// Stopping state first, and the AppHost is not shutting down) has crashed, and is started again with the dashboard's
/// own start command: at once the first time, since a single crash says nothing about the next start and every second
/// of waiting is a second of outage (a Redis replica's 1 s back-off was a third of its recovery), then after a back-off
/// for crashes in a row, reset once it has run for a minute. Every restart is written to the process's console log,
/// where the dashboard shows it.
/// </summary>
/// <remarks>
/// A crash is seen two ways, whichever comes first: DCP's report of the end state, and the process itself gone from
/// /proc, looked at every 100 ms. DCP watches each process through a monitor of its own and reported a killed process
/// 0.6–1.2 s after the kill; a requested stop it reports as Stopping first (about 130 ms before the end), so a process
/// found gone is taken for crashed only if no Stopping came within a grace period after.
/// </remarks>
internal sealed class RestartOnCrashSupervisor : IDistributedApplicationEventingSubscriber
{
    public Task SubscribeAsync(IDistributedApplicationEventing eventing, DistributedApplicationExecutionContext executionContext, CancellationToken cancellationToken)
    {
        if (executionContext.IsRunMode)
        {
            Supervision? supervision = null;
            eventing.Subscribe<BeforeStartEvent>((@event, startCancellation) =>
            {
                var stopping = @event.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
                supervision = new Supervision(@event.Services, stopping);
                _ = Task.Run(supervision.WatchStatesAsync, stopping);
                return Task.CompletedTask;
            });
            eventing.Subscribe<AfterResourcesCreatedEvent>((@event, startCancellation) =>
            {
                if (supervision is not null && OperatingSystem.IsLinux())
                {
                    // Resolved now, after DCP's executor, so that the container disposes it first: a test that
                    // disposes the application without stopping it never raises ApplicationStopping, and DCP then
                    // ends every process, which must not look like crashes.
                    var disposed = @event.Services.GetRequiredService<RestartOnCrashLifetime>().Disposed;
                    _ = Task.Run(() => supervision.WatchProcessesAsync(disposed), disposed);
                }

                return Task.CompletedTask;
            });
        }

        return Task.CompletedTask;
    }

    private sealed class Supervision(IServiceProvider services, CancellationToken stopping)
    {
        private static readonly TimeSpan StableAfter = TimeSpan.FromMinutes(1);
        private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
        private static readonly TimeSpan StopNoticeGrace = TimeSpan.FromMilliseconds(250);

        private readonly ResourceNotificationService _notifications = services.GetRequiredService<ResourceNotificationService>();
        private readonly ResourceCommandService _commands = services.GetRequiredService<ResourceCommandService>();
        private readonly ResourceLoggerService _logs = services.GetRequiredService<ResourceLoggerService>();
        private readonly ConcurrentDictionary<string, string?> _states = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, (int Count, DateTime LastStart)> _crashes = new(StringComparer.Ordinal);
        // The running process of each supervised instance, for the /proc watch.
        private readonly ConcurrentDictionary<string, Process> _running = new(StringComparer.Ordinal);
        // Process ends already dealt with, once each: restarted after a crash, or a stop that was asked for.
        private readonly ConcurrentDictionary<(string ResourceId, int Pid), bool> _handled = new();
        private readonly ConcurrentDictionary<(string ResourceId, int Pid), bool> _suspected = new();

        public async Task WatchStatesAsync()
        {
            try
            {
                await foreach (var change in _notifications.WatchAsync(stopping).ConfigureAwait(false))
                {
                    if (!change.Resource.TryGetLastAnnotation<RestartOnCrashAnnotation>(out var policy))
                    {
                        continue;
                    }

                    var id = change.ResourceId;
                    var state = change.Snapshot.State?.Text;
                    var before = _states.GetValueOrDefault(id);
                    _states[id] = state;
                    var pid = Pid(change.Snapshot);
                    if (state == KnownResourceStates.Running && pid is { } runningPid)
                    {
                        _running[id] = new Process(runningPid, change.Resource.Name, policy);
                    }
                    else
                    {
                        _running.TryRemove(id, out _);
                    }

                    if (state == KnownResourceStates.Running && before != KnownResourceStates.Running)
                    {
                        _crashes.AddOrUpdate(id, _ => (0, DateTime.UtcNow), (_, c) => (c.Count, DateTime.UtcNow));
                    }

                    if (state == KnownResourceStates.Stopping && pid is { } stoppedPid)
                    {
                        // Asked to stop: whatever ends this process is not a crash.
                        _handled.TryAdd((id, stoppedPid), true);
                    }

                    var crashed = before == KnownResourceStates.Running && state is "Exited" or "Finished" or "FailedToStart";
                    if (crashed && !stopping.IsCancellationRequested && (pid is null || _handled.TryAdd((id, pid.Value), true)))
                    {
                        Restart(id, change.Resource.Name, policy, $"exit code {change.Snapshot.ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown"}");
                    }
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
            }
        }

        public async Task WatchProcessesAsync(CancellationToken disposed)
        {
            using var ended = CancellationTokenSource.CreateLinkedTokenSource(stopping, disposed);
            using var timer = new PeriodicTimer(PollInterval);
            try
            {
                while (await timer.WaitForNextTickAsync(ended.Token).ConfigureAwait(false))
                {
                    foreach (var (id, process) in _running)
                    {
                        if (!_handled.ContainsKey((id, process.Pid)) && !await IsAliveAsync(process.Pid).ConfigureAwait(false)
                            && _suspected.TryAdd((id, process.Pid), true))
                        {
                            _ = ConfirmCrashAsync(id, process, ended.Token);
                        }
                    }
                }
            }
            catch (OperationCanceledException) when (ended.IsCancellationRequested)
            {
            }
        }

        // Gone: a crash unless DCP says Stopping within the grace period (the stop it was asked for).
        private async Task ConfirmCrashAsync(string id, Process process, CancellationToken ended)
        {
            try
            {
                await Task.Delay(StopNoticeGrace, ended).ConfigureAwait(false);
                if (!ended.IsCancellationRequested && _handled.TryAdd((id, process.Pid), true))
                {
                    Restart(id, process.ResourceName, process.Policy, $"process {process.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)} gone");
                }
            }
            catch (OperationCanceledException) when (ended.IsCancellationRequested)
            {
            }
        }

        private void Restart(string id, string resourceName, RestartOnCrashAnnotation policy, string how)
        {
            var (count, lastStart) = _crashes.GetValueOrDefault(id);
            count = DateTime.UtcNow - lastStart > StableAfter ? 1 : count + 1;
            _crashes[id] = (count, lastStart);
            var delay = policy.DelayBefore(count);
            var logger = _logs.GetLogger(id);
            RestartLog.Crashed(logger, how, count, delay.TotalSeconds);
            _ = RestartAfterAsync(resourceName, id, delay, logger);
        }

        private async Task RestartAfterAsync(string resourceName, string resourceId, TimeSpan delay, ILogger logger)
        {
            try
            {
                if (delay > TimeSpan.Zero)
                {
                    await Task.Delay(delay, stopping).ConfigureAwait(false);
                }

                // A replica is started on its own; a resource of one process by its name.
                var result = await _commands.ExecuteCommandAsync(resourceId, KnownResourceCommands.StartCommand, stopping).ConfigureAwait(false);
                if (!result.Success && resourceId != resourceName)
                {
                    result = await _commands.ExecuteCommandAsync(resourceName, KnownResourceCommands.StartCommand, stopping).ConfigureAwait(false);
                }

                if (!result.Success)
                {
                    RestartLog.RestartFailed(logger, result.Message);
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
            }
        }

        private static int? Pid(CustomResourceSnapshot snapshot) =>
            snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value is { } value
                && int.TryParse(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var pid)
                && pid > 0
                ? pid
                : null;

        // /proc/<pid>/stat: "pid (name) state …"; a zombie (Z) or dead (X) process has ended, waiting for DCP to reap it.
        private static async Task<bool> IsAliveAsync(int pid)
        {
            try
            {
                var stat = await File.ReadAllTextAsync($"/proc/{pid.ToString(System.Globalization.CultureInfo.InvariantCulture)}/stat").ConfigureAwait(false);
                var state = stat[(stat.LastIndexOf(')') + 1)..].TrimStart();
                return state.Length > 0 && state[0] is not ('Z' or 'X');
            }
            catch (IOException)
            {
                return false;
            }
            catch (UnauthorizedAccessException)
            {
                return true;
            }
        }

        private sealed record Process(int Pid, string ResourceName, RestartOnCrashAnnotation Policy);
    }
}

/// <summary>Cancelled when the application's container disposes it, which it does before DCP's executor ends the processes.</summary>
internal sealed class RestartOnCrashLifetime : IDisposable
{
    private readonly CancellationTokenSource _disposed = new();

    public CancellationToken Disposed => _disposed.Token;

    public void Dispose()
    {
        _disposed.Cancel();
        _disposed.Dispose();
    }
}

internal static partial class RestartLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "The process ended without being asked to stop ({How}), crash {Count} in a row: starting it again in {DelaySeconds:0.#} s.")]
    public static partial void Crashed(ILogger logger, string how, int count, double delaySeconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "The restart after a crash failed: {Reason}")]
    public static partial void RestartFailed(ILogger logger, string? reason);
}
