using System.Collections.Concurrent;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Eventing;
using Aspire.Hosting.Lifecycle;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Platform.Hosting.LocalRun;

/// <summary>
/// Publishes the state of each resource carried by local processes (<see cref="LocalProcessesAnnotation"/>): Running
/// while any of its processes runs (a Sentinel topology survives losing a node; its health says how well), Starting
/// until then, and Exited or FailedToStart when all have stopped. The first time it runs, its connection string (and
/// its children's, such as a PostgreSQL database's) is announced, as DCP does for the resources it runs itself.
/// </summary>
internal sealed class LocalProcessStatePublisher : IDistributedApplicationEventingSubscriber
{
    public Task SubscribeAsync(IDistributedApplicationEventing eventing, DistributedApplicationExecutionContext executionContext, CancellationToken cancellationToken)
    {
        if (executionContext.IsRunMode)
        {
            eventing.Subscribe<BeforeStartEvent>((@event, startCancellation) =>
            {
                var carried = @event.Model.Resources
                    .Select(r => (Resource: r, Annotation: r.Annotations.OfType<LocalProcessesAnnotation>().LastOrDefault()))
                    .Where(x => x.Annotation is not null)
                    .ToDictionary(x => x.Resource, x => x.Annotation!.Processes);
                if (carried.Count > 0)
                {
                    var stopping = @event.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
                    _ = Task.Run(() => MirrorAsync(@event.Model, carried, eventing, @event.Services, stopping), stopping);
                }

                return Task.CompletedTask;
            });
        }

        return Task.CompletedTask;
    }

    private static async Task MirrorAsync(
        DistributedApplicationModel model,
        Dictionary<IResource, IReadOnlyList<ExecutableResource>> carried,
        IDistributedApplicationEventing eventing,
        IServiceProvider services,
        CancellationToken cancellationToken)
    {
        var notifications = services.GetRequiredService<ResourceNotificationService>();
        var owners = carried.SelectMany(c => c.Value.Select(p => (Process: (IResource)p, Owner: c.Key))).ToDictionary(x => x.Process, x => x.Owner);
        var latest = new ConcurrentDictionary<IResource, CustomResourceSnapshot>();
        var announced = new HashSet<IResource>();
        try
        {
            await foreach (var change in notifications.WatchAsync(cancellationToken).ConfigureAwait(false))
            {
                if (!owners.TryGetValue(change.Resource, out var owner))
                {
                    continue;
                }

                latest[change.Resource] = change.Snapshot;
                var states = carried[owner].Select(p => latest.TryGetValue(p, out var s) ? s : null).ToList();
                var state = Aggregate(states);
                var started = states.Where(s => s?.StartTimeStamp is not null).Select(s => s!.StartTimeStamp).Min();
                var stopped = state is "Exited" or "FailedToStart" ? states.Max(s => s?.StopTimeStamp) : null;
                await PublishToHierarchyAsync(model, notifications, owner, state, started, stopped).ConfigureAwait(false);

                if (state == KnownResourceStates.Running && announced.Add(owner))
                {
                    await AnnounceConnectionStringsAsync(model, eventing, services, owner, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private static string Aggregate(IReadOnlyList<CustomResourceSnapshot?> processes)
    {
        var states = processes.Select(p => p?.State?.Text).ToList();
        if (states.Contains(KnownResourceStates.Running))
        {
            return KnownResourceStates.Running;
        }

        if (states.Contains(KnownResourceStates.FailedToStart))
        {
            return KnownResourceStates.FailedToStart;
        }

        var ended = states.All(s => s is "Exited" or "Finished" or "FailedToStart");
        return ended ? KnownResourceStates.Exited : KnownResourceStates.Starting;
    }

    private static async Task PublishToHierarchyAsync(DistributedApplicationModel model, ResourceNotificationService notifications,
        IResource resource, string state, DateTime? started, DateTime? stopped)
    {
        // A server that is a container when published says what it is here, not "Container".
        await notifications.PublishUpdateAsync(resource, s => s with
        {
            State = state,
            StartTimeStamp = started,
            StopTimeStamp = stopped,
            ResourceType = resource is ContainerResource ? resource.GetType().Name.Replace("Resource", "", StringComparison.Ordinal) : s.ResourceType,
        }).ConfigureAwait(false);
        foreach (var child in Children(model, resource))
        {
            await PublishToHierarchyAsync(model, notifications, child, state, started, stopped).ConfigureAwait(false);
        }
    }

    private static async Task AnnounceConnectionStringsAsync(DistributedApplicationModel model, IDistributedApplicationEventing eventing,
        IServiceProvider services, IResource resource, CancellationToken cancellationToken)
    {
        if (resource is IResourceWithConnectionString)
        {
            await eventing.PublishAsync(new ConnectionStringAvailableEvent(resource, services), cancellationToken).ConfigureAwait(false);
        }

        foreach (var child in Children(model, resource))
        {
            await AnnounceConnectionStringsAsync(model, eventing, services, child, cancellationToken).ConfigureAwait(false);
        }
    }

    // Children that live and die with their parent, such as a database on its server (processes have lives of their own).
    private static IEnumerable<IResource> Children(DistributedApplicationModel model, IResource parent) =>
        model.Resources.Where(r => r is IResourceWithParent child && child.Parent == parent && r is not ExecutableResource);
}
