using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Platform.Hosting.ApplicationModel;

namespace Platform.Hosting.Orchestration;

internal sealed partial class Orchestrator
{
    public Task StopAsync(CancellationToken cancellationToken)
    {
        lock (_publishLock)
        {
            _stopTask ??= StopAllAsync();
        }

        return _stopTask.WaitAsync(cancellationToken);
    }

    /// <summary>Dependents before dependencies: each resource stops once everything that depends on it has stopped.</summary>
    private async Task StopAllAsync()
    {
        _stopping = true;
        await _lifetime.CancelAsync().ConfigureAwait(false);
        var stops = new Dictionary<IResource, Task>();
        Task StopTree(IResource resource)
        {
            if (!stops.TryGetValue(resource, out var task))
            {
                var dependents = _model.DependentsOf(resource).Select(StopTree).ToArray();
                task = StopAfterAsync(dependents, _runtimes[resource]);
                stops[resource] = task;
            }

            return task;
        }

        var sw = Stopwatch.StartNew();
        var all = _model.Resources.Select(StopTree).ToArray();
        await Task.WhenAll(all).ConfigureAwait(false);
        foreach (var proxy in _proxies)
        {
            await proxy.DisposeAsync().ConfigureAwait(false);
        }

        _watchdog?.Dispose();
        LogStopped(sw.Elapsed.TotalSeconds);
    }

    private async Task StopAfterAsync(Task[] dependents, ResourceRuntime rt)
    {
        await Task.WhenAll(dependents).ConfigureAwait(false);
        await Task.WhenAll(rt.Instances.Select(i => StopInstanceAsync(i, kill: false))).ConfigureAwait(false);
    }

    internal async Task StopInstanceAsync(InstanceRuntime instance, bool kill)
    {
        await instance.Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (instance.Owner is ParameterRuntime)
            {
                return;
            }

            if (!instance.Owner.HasProcess)
            {
                if (instance.State == ResourceState.Running)
                {
                    await (instance.HealthCts?.CancelAsync() ?? Task.CompletedTask).ConfigureAwait(false);
                    instance.StoppedAt = DateTimeOffset.UtcNow;
                    SetInstance(instance, ResourceState.Exited, null);
                }

                return;
            }

            if (instance.Process is not { } process)
            {
                return;
            }

            var pgid = process.Id;
            if (kill)
            {
                instance.Log.Write("killing (SIGKILL)", isError: false, isSystem: true);
                Native.SignalGroup(pgid, Native.SIGKILL);
            }
            else
            {
                instance.StopRequested = true;
                SetInstance(instance, ResourceState.Stopping, null);
                Native.SignalGroup(pgid, instance.Spec?.StopSignal ?? Native.SIGTERM);
                if (!await WaitExitedAsync(instance, _context.Options.StopTimeout).ConfigureAwait(false))
                {
                    instance.Log.Write($"did not stop within {_context.Options.StopTimeout.TotalSeconds:0.#} s; killing", isError: true, isSystem: true);
                    Native.SignalGroup(pgid, Native.SIGKILL);
                }
            }

            await WaitExitedAsync(instance, TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        finally
        {
            instance.Gate.Release();
        }
    }

    private static async Task<bool> WaitExitedAsync(InstanceRuntime instance, TimeSpan timeout)
    {
        try
        {
            await instance.Exited.Task.WaitAsync(timeout).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>Instances of a resource, or the one instance with that name.</summary>
    internal IReadOnlyList<InstanceRuntime> FindInstances(string name)
    {
        var rt = _runtimes.Values.FirstOrDefault(r => string.Equals(r.Resource.Name, name, StringComparison.OrdinalIgnoreCase));
        if (rt is not null)
        {
            return rt.Instances;
        }

        var instance = _runtimes.Values.SelectMany(r => r.Instances).FirstOrDefault(i => string.Equals(i.Name, name, StringComparison.OrdinalIgnoreCase));
        return instance is not null ? [instance]
            : throw new KeyNotFoundException($"There is no resource or instance named '{name}'. Resources: {string.Join(", ", _runtimes.Keys.Select(r => r.Name))}.");
    }

    internal ResourceRuntime RuntimeOf(string resourceName) =>
        _runtimes.Values.FirstOrDefault(r => string.Equals(r.Resource.Name, resourceName, StringComparison.OrdinalIgnoreCase))
        ?? throw ResourceCollection.UnknownResource(resourceName, _model.Resources);

    internal RunContext Context => _context;

    internal void SetInstance(InstanceRuntime instance, ResourceState state, HealthStatus? health)
    {
        instance.State = state;
        instance.Health = state == ResourceState.Running ? health : null;
        if (state != ResourceState.Running)
        {
            instance.HealthDescription = null;
        }

        Publish(instance.Owner);
    }

    private void Publish(ResourceRuntime rt)
    {
        lock (_publishLock)
        {
            var previous = _notifications.TryGetSnapshot(rt.Resource.Name, out var p) ? p : null;
            var snapshot = Snapshot(rt);
            _notifications.Publish(snapshot);
            if (previous is null || previous.State != snapshot.State || previous.HealthStatus != snapshot.HealthStatus)
            {
                LogStateChanged(rt.Resource.Name, snapshot.State, snapshot.HealthStatus?.ToString() ?? "-");
            }
        }
    }

    private ResourceSnapshot Snapshot(ResourceRuntime rt)
    {
        var instances = rt.Instances.Select(i => new InstanceSnapshot(
            i.Name, i.Index, i.State, i.Health, i.Process is null ? null : i.ProcessId, i.ExitCode, i.StartedAt, i.StoppedAt,
            [.. rt.Resource.Annotations.OfType<EndpointAnnotation>().Where(e => i.Ports.ContainsKey(e.Name))
                .Select(e => new ResourceUrl(e.Name, $"{e.Scheme}://127.0.0.1:{i.Ports[e.Name].Port}", e.IsExternal, IsInternal: rt.Instances.Count > 1 && e.AllocatedEndpoint?.Port != i.Ports[e.Name].Port))],
            i.Role, i.HealthDescription, i.Environment)).ToList();
        var states = rt.Instances.Select(i => i.State).ToList();
        var state = states.Contains(ResourceState.FailedToStart) ? ResourceState.FailedToStart
            : states.Contains(ResourceState.Stopping) ? ResourceState.Stopping
            : states.Contains(ResourceState.Running) ? ResourceState.Running
            : states.Contains(ResourceState.Starting) ? ResourceState.Starting
            : states.All(s => s == ResourceState.Finished) ? ResourceState.Finished
            : states.Contains(ResourceState.Exited) ? ResourceState.Exited
            : states[0];
        HealthStatus? health = state != ResourceState.Running ? null
            : rt.Instances.All(i => i.State == ResourceState.Running && i.Health == HealthStatus.Healthy) ? HealthStatus.Healthy
            : HealthStatus.Unhealthy;
        var urls = rt.Resource.Annotations.OfType<EndpointAnnotation>().Where(e => e.AllocatedEndpoint is not null)
            .Select(e => new ResourceUrl(e.Name, e.AllocatedEndpoint!.Url, e.IsExternal)).ToList();
        return new ResourceSnapshot
        {
            Name = rt.Resource.Name,
            ResourceType = rt.Kind,
            State = state,
            HealthStatus = health,
            StartedAt = rt.Instances.Min(i => i.StartedAt),
            StoppedAt = rt.Instances.All(i => i.StoppedAt is not null) ? rt.Instances.Max(i => i.StoppedAt) : null,
            ExitCode = rt.Instances.FirstOrDefault(i => i.ExitCode is not null and not 0)?.ExitCode ?? rt.Instances.FirstOrDefault(i => i.ExitCode is not null)?.ExitCode,
            Message = state is ResourceState.FailedToStart ? rt.Message : null,
            Urls = urls,
            Instances = instances,
            Environment = rt.Instances[0].Environment,
            Dependencies = [.. _model.DependenciesOf(rt.Resource).Select(d => d.Name)],
            ParentName = (rt.Resource as IResourceWithParent)?.Parent.Name,
            ContainerImage = rt.ContainerImage,
        };
    }

    private async Task WaitUntilSettledAsync(CancellationToken cancellationToken)
    {
        var names = _model.Resources.Select(r => r.Name).ToList();
        await Task.WhenAll(names.Select(n => _notifications.WaitForResourceAsync(n, IsSettled, cancellationToken))).ConfigureAwait(false);
    }

    internal static bool IsSettled(ResourceSnapshot s) => s.IsHealthy || s.State.IsTerminal();

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Never hang: whatever is left gets SIGKILL from the watchdog.
            _watchdog?.Dispose();
        }

        foreach (var instance in _runtimes.Values.SelectMany(r => r.Instances))
        {
            instance.Log?.Dispose();
            instance.HealthCts?.Dispose();
        }

        _lifetime.Dispose();
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "{Resource}: {State} {Health}")]
    private partial void LogStateChanged(string resource, ResourceState state, string health);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "{Resource} failed to start: {Reason}")]
    private partial void LogResourceFailed(string resource, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "{Instance} exited with code {ExitCode}")]
    private partial void LogInstanceExited(string instance, int exitCode);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Every resource stopped in {Seconds:0.00} s")]
    private partial void LogStopped(double seconds);
}
