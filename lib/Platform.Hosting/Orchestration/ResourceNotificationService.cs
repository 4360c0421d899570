using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Platform.Hosting.ApplicationModel;

namespace Platform.Hosting.Orchestration;

/// <summary>The current state of every resource, and a stream of changes. Unknown names fail at once.</summary>
public sealed class ResourceNotificationService
{
    private readonly Dictionary<string, ResourceSnapshot> _snapshots = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<Channel<ResourceSnapshot>> _watchers = [];
    private readonly Lock _lock = new();
    private readonly IReadOnlyList<IResource> _resources;

    public ResourceNotificationService(DistributedApplicationModel model)
    {
        _resources = model.Resources;
    }

    public IReadOnlyList<ResourceSnapshot> GetSnapshots()
    {
        lock (_lock)
        {
            return [.. _resources.Select(r => _snapshots.GetValueOrDefault(r.Name)).OfType<ResourceSnapshot>()];
        }
    }

    public ResourceSnapshot GetSnapshot(string resourceName)
    {
        EnsureKnown(resourceName);
        lock (_lock)
        {
            return _snapshots.TryGetValue(resourceName, out var s) ? s : throw new InvalidOperationException($"Resource '{resourceName}' has not been initialised yet.");
        }
    }

    public bool TryGetSnapshot(string resourceName, out ResourceSnapshot snapshot)
    {
        lock (_lock)
        {
            return _snapshots.TryGetValue(resourceName, out snapshot!);
        }
    }

    /// <summary>Every current snapshot, then each change, until cancelled.</summary>
    public async IAsyncEnumerable<ResourceSnapshot> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var channel = Channel.CreateUnbounded<ResourceSnapshot>();
        List<ResourceSnapshot> current;
        lock (_lock)
        {
            current = [.. _snapshots.Values];
            _watchers.Add(channel);
        }

        try
        {
            foreach (var s in current)
            {
                yield return s;
            }

            await foreach (var s in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return s;
            }
        }
        finally
        {
            lock (_lock)
            {
                _watchers.Remove(channel);
            }
        }
    }

    /// <summary>Waits until the resource's snapshot satisfies <paramref name="predicate"/> and returns it.</summary>
    public async Task<ResourceSnapshot> WaitForResourceAsync(string resourceName, Func<ResourceSnapshot, bool> predicate, CancellationToken cancellationToken = default)
    {
        EnsureKnown(resourceName);
        await foreach (var s in WatchAsync(cancellationToken).ConfigureAwait(false))
        {
            if (string.Equals(s.Name, resourceName, StringComparison.OrdinalIgnoreCase) && predicate(s))
            {
                return s;
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        throw new OperationCanceledException();
    }

    /// <summary>Waits for one of the states. Waiting for Running on a resource that has failed throws at once.</summary>
    public async Task<ResourceSnapshot> WaitForResourceAsync(string resourceName, ResourceState targetState, CancellationToken cancellationToken = default)
    {
        var s = await WaitForResourceAsync(resourceName, s => s.State == targetState || (IsFailed(s) && !IsFailureState(targetState)), cancellationToken).ConfigureAwait(false);
        return s.State == targetState ? s : throw new DistributedApplicationException($"Resource '{s.Name}' will not reach {targetState}: it is {Describe(s)}.");
    }

    /// <summary>Waits until the resource is Running and Healthy; throws at once when it fails instead.</summary>
    public async Task<ResourceSnapshot> WaitForResourceHealthyAsync(string resourceName, CancellationToken cancellationToken = default)
    {
        var s = await WaitForResourceAsync(resourceName, s => s.IsHealthy || IsFailed(s), cancellationToken).ConfigureAwait(false);
        return s.IsHealthy ? s : throw new DistributedApplicationException($"Resource '{s.Name}' will not become healthy: it is {Describe(s)}.");
    }

    internal static bool IsFailed(ResourceSnapshot s) =>
        s.State is ResourceState.FailedToStart or ResourceState.RuntimeUnhealthy || (s.State is ResourceState.Exited or ResourceState.Finished && s.StartedAt is not null);

    private static bool IsFailureState(ResourceState state) => state.IsTerminal();

    internal static string Describe(ResourceSnapshot s) =>
        $"{s.State}{(s.ExitCode is { } code ? $" (exit code {code})" : string.Empty)}{(s.Message is null ? string.Empty : $": {s.Message}")}";

    internal void Publish(ResourceSnapshot snapshot)
    {
        Channel<ResourceSnapshot>[] watchers;
        lock (_lock)
        {
            _snapshots[snapshot.Name] = snapshot;
            watchers = [.. _watchers];
        }

        foreach (var w in watchers)
        {
            w.Writer.TryWrite(snapshot);
        }
    }

    private void EnsureKnown(string resourceName)
    {
        if (!_resources.Any(r => string.Equals(r.Name, resourceName, StringComparison.OrdinalIgnoreCase)))
        {
            throw ResourceCollection.UnknownResource(resourceName, _resources);
        }
    }
}
