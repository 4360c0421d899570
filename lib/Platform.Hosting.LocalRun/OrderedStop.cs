using System.Globalization;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Eventing;
using Aspire.Hosting.Lifecycle;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Platform.Hosting.LocalRun;

/// <summary>
/// When the AppHost stops, DCP stops every resource at once, and a service that still talks to Redis or PostgreSQL
/// while they go down waits out its client timeouts before it exits. So the services (project resources) are stopped
/// first, and the local processes they depend on once the services are gone, as an orchestrator stops a deployment
/// before its databases. Each phase waits for the processes' end states as DCP reports them, not for the stop command
/// to return: the command polls DCP with a growing back-off that can add seconds after the process has exited.
/// </summary>
internal sealed class OrderedStop : IDistributedApplicationEventingSubscriber
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    public Task SubscribeAsync(IDistributedApplicationEventing eventing, DistributedApplicationExecutionContext executionContext, CancellationToken cancellationToken)
    {
        if (executionContext.IsRunMode)
        {
            eventing.Subscribe<BeforeStartEvent>((@event, _) =>
            {
                var services = @event.Services;
                var projects = @event.Model.Resources.OfType<ProjectResource>().ToList<IResource>();
                var processes = @event.Model.Resources.SelectMany(r => r.Annotations.OfType<LocalProcessesAnnotation>())
                    .SelectMany(a => a.Processes).Distinct().ToList<IResource>();
                services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.Register(() =>
                {
                    try
                    {
                        Task.Run(() => StopInOrderAsync(services, projects, processes)).Wait(Limit);
                    }
                    catch (AggregateException)
                    {
                        // Whatever did not stop in time is stopped by DCP with everything else.
                    }
                });
                return Task.CompletedTask;
            });
        }

        return Task.CompletedTask;
    }

    private static async Task StopInOrderAsync(IServiceProvider services, IReadOnlyList<IResource> projects, IReadOnlyList<IResource> processes)
    {
        using var limit = new CancellationTokenSource(Limit);
        var notifications = services.GetRequiredService<ResourceNotificationService>();
        var commands = services.GetRequiredService<ResourceCommandService>();
        await StopAsync(notifications, commands, projects, limit.Token).ConfigureAwait(false);
        await StopAsync(notifications, commands, processes, limit.Token).ConfigureAwait(false);
    }

    private static async Task StopAsync(ResourceNotificationService notifications, ResourceCommandService commands,
        IReadOnlyList<IResource> resources, CancellationToken cancellationToken)
    {
        var names = resources.Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        var running = new Dictionary<string, ResourceEvent>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var stopping = new List<Task>();
        try
        {
            // The watch replays every instance's current state first, then follows it.
            await foreach (var change in notifications.WatchAsync(cancellationToken).ConfigureAwait(false))
            {
                if (!names.Contains(change.Resource.Name))
                {
                    continue;
                }

                if (IsActive(change.Snapshot.State?.Text))
                {
                    if (seen.Add(change.ResourceId))
                    {
                        stopping.Add(StopInstanceAsync(commands, change, cancellationToken));
                    }

                    running[change.ResourceId] = change;
                }
                else
                {
                    seen.Add(change.ResourceId);
                    running.Remove(change.ResourceId);
                }

                // Every instance has reported once its current state, and none is still active.
                if (running.Count == 0 && seen.Count >= InstanceCount(resources))
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        // The stop commands' own polling is not waited for: the states above have told the outcome.
        _ = Task.WhenAll(stopping);
    }

    private static int InstanceCount(IReadOnlyList<IResource> resources) =>
        resources.Sum(r => r.TryGetLastAnnotation<ReplicaAnnotation>(out var replicas) ? replicas.Replicas : 1);

    private static bool IsActive(string? state) =>
        state is not (null or "Finished" or "Exited" or "FailedToStart" or "NotStarted" or "Waiting" or "Unknown" or "RuntimeUnhealthy");

    private static async Task StopInstanceAsync(ResourceCommandService commands, ResourceEvent instance, CancellationToken cancellationToken)
    {
        try
        {
            var pid = instance.Snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value;
            if (instance.Resource.TryGetLastAnnotation<StopSignalAnnotation>(out var stopSignal) && pid is not null)
            {
                await ProcessSignal.SendAsync(Convert.ToInt32(pid, CultureInfo.InvariantCulture), stopSignal.Signal, cancellationToken).ConfigureAwait(false);
                return;
            }

            await commands.ExecuteCommandAsync(instance.ResourceId, KnownResourceCommands.StopCommand, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException)
        {
            // Whatever did not stop is stopped by DCP with everything else.
        }
    }
}
