using System.Runtime.CompilerServices;
using Platform.Hosting.ApplicationModel;
using Platform.Hosting.Dashboard.Resources;
using Platform.Hosting.Orchestration;

namespace Platform.Hosting.Dashboard.Hosting;

/// <summary>
/// Adapts Platform.Hosting's run-mode services (resource notifications, logs, commands) to what the dashboard shows.
/// This is the only place the dashboard knows Platform.Hosting's types.
/// </summary>
internal sealed class HostingResourceService(
    DistributedApplicationModel model,
    ResourceNotificationService notifications,
    ResourceLoggerService logs,
    ResourceCommandService commands) : IDashboardResourceService
{
    public IReadOnlyList<DashboardResource> GetResources() => [.. notifications.GetSnapshots().Select(Map)];

    public async IAsyncEnumerable<DashboardResource> WatchResourcesAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var snapshot in notifications.WatchAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return Map(snapshot);
        }
    }

    public IReadOnlyList<ConsoleLine> GetConsoleLogs(string resourceOrReplica) => [.. logs.GetLogs(resourceOrReplica).Select(Map)];

    public async IAsyncEnumerable<ConsoleLine> WatchConsoleLogsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var line in logs.WatchAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return Map(line);
        }
    }

    public Task ExecuteCommandAsync(string resource, string command, CancellationToken cancellationToken)
    {
        if (!notifications.TryGetSnapshot(resource, out var snapshot))
        {
            throw new KeyNotFoundException($"There is no resource named '{resource}'.");
        }

        if (!HasProcess(snapshot))
        {
            throw new InvalidOperationException($"'{resource}' ({snapshot.ResourceType}) has no process to {command}.");
        }

        return command switch
        {
            ResourceCommands.Start => commands.StartAsync(resource, cancellationToken),
            ResourceCommands.Stop => commands.StopAsync(resource, cancellationToken),
            ResourceCommands.Restart => commands.RestartAsync(resource, cancellationToken),
            _ => throw new ArgumentException($"Unknown command '{command}'.", nameof(command)),
        };
    }

    private static bool HasProcess(ResourceSnapshot s) => s.ResourceType is not ("Parameter" or "PostgresDatabase");

    private static ConsoleLine Map(LogLine line) =>
        new(line.Resource, line.Instance, line.Sequence, line.Timestamp, line.IsSystem ? "[hosting] " + line.Text : line.Text, line.IsError);

    private DashboardResource Map(ResourceSnapshot s) => new(
        s.Name,
        s.ResourceType,
        s.State.ToString(),
        s.HealthStatus?.ToString(),
        s.StartedAt,
        s.StoppedAt,
        s.ExitCode,
        s.Message,
        [.. s.Urls.Select(u => new DashboardUrl(u.EndpointName, u.Url, u.IsInternal))],
        [.. s.Instances.Select(i => new DashboardReplica(i.Name, i.State.ToString(), i.HealthStatus?.ToString(), i.ProcessId, i.StartedAt, i.ExitCode))],
        [.. s.Environment.Select(e => new DashboardEnvironmentVariable(e.Name, e.Value, e.IsSecret))],
        ConnectionStringOf(s),
        s.Dependencies,
        HasProcess(s) ? [ResourceCommands.Start, ResourceCommands.Stop, ResourceCommands.Restart] : []);

    /// <summary>Connection strings are known once the resource's endpoints are allocated, i.e. after it started once.</summary>
    private string? ConnectionStringOf(ResourceSnapshot s)
    {
        if (s.StartedAt is null || model.Resources.FirstOrDefault(r => r.Name == s.Name) is not IResourceWithConnectionString resource)
        {
            return null;
        }

        try
        {
            var value = resource.ConnectionStringExpression.GetValueAsync(CancellationToken.None);
            return value.IsCompleted ? value.Result : null;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }
}
