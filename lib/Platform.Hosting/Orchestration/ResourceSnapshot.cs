using Platform.Hosting.ApplicationModel;

namespace Platform.Hosting.Orchestration;

/// <summary>What the dashboard and tests see of a resource at one moment.</summary>
public sealed record ResourceSnapshot
{
    public required string Name { get; init; }

    /// <summary>Project, Executable, Redis, RedisSentinel, Postgres, PostgresDatabase, Parameter.</summary>
    public required string ResourceType { get; init; }

    public required ResourceState State { get; init; }

    /// <summary>Null while the resource is not running.</summary>
    public HealthStatus? HealthStatus { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? StoppedAt { get; init; }

    public int? ExitCode { get; init; }

    /// <summary>Why the resource is not running (the failed dependency, the missing binary, the port in use…).</summary>
    public string? Message { get; init; }

    public IReadOnlyList<ResourceUrl> Urls { get; init; } = [];

    public IReadOnlyList<InstanceSnapshot> Instances { get; init; } = [];

    public IReadOnlyList<EnvironmentVariableSnapshot> Environment { get; init; } = [];

    /// <summary>The resources this one references or waits for.</summary>
    public IReadOnlyList<string> Dependencies { get; init; } = [];

    public string? ParentName { get; init; }

    /// <summary>Published as this image (publish mode); null for projects.</summary>
    public string? ContainerImage { get; init; }

    public bool IsHealthy => State == ResourceState.Running && HealthStatus == ApplicationModel.HealthStatus.Healthy;

    public override string ToString() => $"{Name} {State}{(HealthStatus is { } h ? $" ({h})" : string.Empty)}{(Message is null ? string.Empty : $": {Message}")}";
}

public sealed record InstanceSnapshot(
    string Name,
    int Index,
    ResourceState State,
    HealthStatus? HealthStatus,
    int? ProcessId,
    int? ExitCode,
    DateTimeOffset? StartedAt,
    DateTimeOffset? StoppedAt,
    IReadOnlyList<ResourceUrl> Urls,
    string? Role,
    string? HealthDescription,
    IReadOnlyList<EnvironmentVariableSnapshot> Environment);

/// <summary>An endpoint address; <see cref="IsInternal"/> for per-replica addresses behind the stable one.</summary>
public sealed record ResourceUrl(string EndpointName, string Url, bool IsExternal, bool IsInternal = false);

public sealed record EnvironmentVariableSnapshot(string Name, string? Value, bool IsSecret);
