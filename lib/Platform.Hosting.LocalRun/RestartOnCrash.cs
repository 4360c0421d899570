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
/// Watches the processes marked <see cref="RestartOnCrashAnnotation"/>: one that goes from Running to an end state
/// without being asked to stop (no Stopping state in between, and the AppHost is not shutting down) has crashed, and is
/// started again with the dashboard's own start command: at once the first time, since a single crash says nothing
/// about the next start and every second of waiting is a second of outage (a Redis replica's 1 s back-off was half of
/// its recovery), then after a back-off for crashes in a row, reset once it has run for a minute. Every restart is
/// written to the process's console log, where the dashboard shows it.
/// </summary>
internal sealed class RestartOnCrashSupervisor : IDistributedApplicationEventingSubscriber
{
    private static readonly TimeSpan StableAfter = TimeSpan.FromMinutes(1);

    public Task SubscribeAsync(IDistributedApplicationEventing eventing, DistributedApplicationExecutionContext executionContext, CancellationToken cancellationToken)
    {
        if (executionContext.IsRunMode)
        {
            eventing.Subscribe<BeforeStartEvent>((@event, startCancellation) =>
            {
                var stopping = @event.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
                _ = Task.Run(() => SuperviseAsync(@event.Services, stopping), stopping);
                return Task.CompletedTask;
            });
        }

        return Task.CompletedTask;
    }

    private static async Task SuperviseAsync(IServiceProvider services, CancellationToken stopping)
    {
        var notifications = services.GetRequiredService<ResourceNotificationService>();
        var commands = services.GetRequiredService<ResourceCommandService>();
        var logs = services.GetRequiredService<ResourceLoggerService>();
        var previous = new ConcurrentDictionary<string, string?>(StringComparer.Ordinal);
        var crashes = new ConcurrentDictionary<string, (int Count, DateTime LastStart)>(StringComparer.Ordinal);
        try
        {
            await foreach (var change in notifications.WatchAsync(stopping).ConfigureAwait(false))
            {
                if (!change.Resource.TryGetLastAnnotation<RestartOnCrashAnnotation>(out var policy))
                {
                    continue;
                }

                var state = change.Snapshot.State?.Text;
                var before = previous.GetValueOrDefault(change.ResourceId);
                previous[change.ResourceId] = state;
                if (state == KnownResourceStates.Running && before != KnownResourceStates.Running)
                {
                    crashes.AddOrUpdate(change.ResourceId, _ => (0, DateTime.UtcNow), (_, c) => (c.Count, DateTime.UtcNow));
                }

                var crashed = before == KnownResourceStates.Running && state is "Exited" or "Finished" or "FailedToStart";
                if (!crashed || stopping.IsCancellationRequested)
                {
                    continue;
                }

                var (count, lastStart) = crashes.GetValueOrDefault(change.ResourceId);
                count = DateTime.UtcNow - lastStart > StableAfter ? 1 : count + 1;
                crashes[change.ResourceId] = (count, lastStart);
                var delay = policy.DelayBefore(count);
                var logger = logs.GetLogger(change.ResourceId);
                RestartLog.Crashed(logger, change.Snapshot.ExitCode, count, delay.TotalSeconds);
                _ = RestartAfterAsync(commands, change.Resource.Name, change.ResourceId, delay, logger, stopping);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    private static async Task RestartAfterAsync(ResourceCommandService commands, string resourceName, string resourceId,
        TimeSpan delay, ILogger logger, CancellationToken stopping)
    {
        try
        {
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, stopping).ConfigureAwait(false);
            }

            // A replica is started on its own; a resource of one process by its name.
            var result = await commands.ExecuteCommandAsync(resourceId, KnownResourceCommands.StartCommand, stopping).ConfigureAwait(false);
            if (!result.Success && resourceId != resourceName)
            {
                result = await commands.ExecuteCommandAsync(resourceName, KnownResourceCommands.StartCommand, stopping).ConfigureAwait(false);
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
}

internal static partial class RestartLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "The process exited unexpectedly (exit code {ExitCode}), crash {Count} in a row: starting it again in {DelaySeconds:0.#} s.")]
    public static partial void Crashed(ILogger logger, int? exitCode, int count, double delaySeconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "The restart after a crash failed: {Reason}")]
    public static partial void RestartFailed(ILogger logger, string? reason);
}
