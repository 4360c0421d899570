namespace Platform.Hosting.Dashboard.Resources;

/// <summary>
/// What the dashboard needs from the orchestrator: resource snapshots and their changes, console output, and commands.
/// Platform.Hosting supplies it in run mode (see <c>HostingResourceService</c>); a dashboard without one shows only
/// the resources that send telemetry.
/// </summary>
public interface IDashboardResourceService
{
    IReadOnlyList<DashboardResource> GetResources();

    /// <summary>Every change of any resource, until cancelled.</summary>
    IAsyncEnumerable<DashboardResource> WatchResourcesAsync(CancellationToken cancellationToken);

    /// <summary>The kept console lines of a resource (all replicas) or of one replica, oldest first.</summary>
    IReadOnlyList<ConsoleLine> GetConsoleLogs(string resourceOrReplica);

    /// <summary>Every new console line of every resource, until cancelled.</summary>
    IAsyncEnumerable<ConsoleLine> WatchConsoleLogsAsync(CancellationToken cancellationToken);

    /// <summary>Runs <c>start</c>, <c>stop</c> or <c>restart</c>; throws <see cref="KeyNotFoundException"/> for an unknown resource.</summary>
    Task ExecuteCommandAsync(string resource, string command, CancellationToken cancellationToken);
}

public sealed record DashboardResource(
    string Name,
    string Type,
    string State,
    string? Health,
    DateTimeOffset? StartedAt,
    DateTimeOffset? StoppedAt,
    int? ExitCode,
    string? Message,
    IReadOnlyList<DashboardUrl> Urls,
    IReadOnlyList<DashboardReplica> Replicas,
    IReadOnlyList<DashboardEnvironmentVariable> Environment,
    string? ConnectionString,
    IReadOnlyList<string> Dependencies,
    IReadOnlyList<string> Commands);

public sealed record DashboardUrl(string Name, string Url, bool IsInternal);

public sealed record DashboardReplica(string Name, string State, string? Health, int? ProcessId, DateTimeOffset? StartedAt, int? ExitCode);

public sealed record DashboardEnvironmentVariable(string Name, string? Value, bool IsSecret);

public sealed record ConsoleLine(string Resource, string Replica, long Sequence, DateTimeOffset Timestamp, string Text, bool IsError);

public static class ResourceCommands
{
    public const string Start = "start";
    public const string Stop = "stop";
    public const string Restart = "restart";
}
