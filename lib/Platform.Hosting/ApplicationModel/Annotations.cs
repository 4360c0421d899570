namespace Platform.Hosting.ApplicationModel;

/// <summary>
/// A network endpoint of a resource. <see cref="TargetPort"/> is the port inside the container when published;
/// <see cref="Port"/> the fixed host port in run mode (null: a free port is chosen).
/// </summary>
public sealed class EndpointAnnotation(string name, string scheme, int? targetPort = null, int? port = null) : IResourceAnnotation
{
    public string Name { get; } = name;

    /// <summary>http, https or tcp.</summary>
    public string Scheme { get; set; } = scheme;

    public string Transport => Scheme is "http" or "https" ? "http" : "tcp";

    public int? TargetPort { get; set; } = targetPort;

    public int? Port { get; set; } = port;

    /// <summary>Reachable from outside the deployment (ingress) when published.</summary>
    public bool IsExternal { get; set; }

    /// <summary>Run mode: the address clients use (the replica proxy when there are replicas).</summary>
    public AllocatedEndpoint? AllocatedEndpoint { get; internal set; }

    /// <summary>Run mode: each instance's own address, in instance order.</summary>
    public IReadOnlyList<AllocatedEndpoint> InstanceEndpoints { get; internal set; } = [];
}

public sealed record AllocatedEndpoint(string Scheme, string Host, int Port)
{
    public string Url => $"{Scheme}://{Host}:{Port}";

    public string HostAndPort => $"{Host}:{Port}";

    public override string ToString() => Url;
}

/// <summary>Adds environment variables. Values are strings or <see cref="IValueProvider"/>s (parameters, endpoints, expressions).</summary>
public sealed class EnvironmentCallbackAnnotation(Action<EnvironmentCallbackContext> callback) : IResourceAnnotation
{
    public Action<EnvironmentCallbackContext> Callback { get; } = callback;
}

public sealed class EnvironmentCallbackContext(DistributedApplicationExecutionContext executionContext, IResource resource)
{
    public DistributedApplicationExecutionContext ExecutionContext { get; } = executionContext;

    public IResource Resource { get; } = resource;

    public Dictionary<string, object> EnvironmentVariables { get; } = new(StringComparer.Ordinal);
}

public sealed class CommandLineArgsAnnotation(IReadOnlyList<object> args) : IResourceAnnotation
{
    public IReadOnlyList<object> Args { get; } = args;
}

public enum WaitType
{
    WaitUntilHealthy,
    WaitForCompletion,
}

public sealed class WaitAnnotation(IResource resource, WaitType waitType, int exitCode = 0) : IResourceAnnotation
{
    public IResource Resource { get; } = resource;

    public WaitType WaitType { get; } = waitType;

    /// <summary>For <see cref="WaitType.WaitForCompletion"/>: the exit code that counts as success.</summary>
    public int ExitCode { get; } = exitCode;
}

/// <summary>A reference between resources (WithReference); used for stop order, the dashboard and publishers.</summary>
public sealed class ResourceRelationshipAnnotation(IResource resource, string type) : IResourceAnnotation
{
    public IResource Resource { get; } = resource;

    public string Type { get; } = type;
}

public sealed class ReplicaAnnotation(int replicas) : IResourceAnnotation
{
    public int Replicas { get; } = replicas >= 1 ? replicas : throw new ArgumentOutOfRangeException(nameof(replicas), "at least one replica");
}

/// <summary>An HTTP GET on an endpoint that must answer 2xx for the resource to be healthy.</summary>
public sealed class HttpHealthCheckAnnotation(string path, string endpointName, int statusCode = 200) : IResourceAnnotation
{
    public string Path { get; } = path;

    public string EndpointName { get; } = endpointName;

    public int StatusCode { get; } = statusCode;
}

/// <summary>The image the resource is published as (run mode uses local binaries instead).</summary>
public sealed class ContainerImageAnnotation(string registry, string image, string tag) : IResourceAnnotation
{
    public string Registry { get; set; } = registry;

    public string Image { get; set; } = image;

    public string Tag { get; set; } = tag;

    public string FullName => $"{Registry}/{Image}:{Tag}";
}

/// <summary>Entrypoint and arguments of the published container.</summary>
public sealed class ContainerCommandAnnotation(string? entrypoint, IReadOnlyList<string> args) : IResourceAnnotation
{
    public string? Entrypoint { get; } = entrypoint;

    public IReadOnlyList<string> Args { get; } = args;
}

/// <summary>Data kept across runs (run mode: under the state folder; publish mode: a named volume or PVC).</summary>
public sealed class DataVolumeAnnotation(string name, string targetPath) : IResourceAnnotation
{
    public string Name { get; } = name;

    /// <summary>Mount path inside the published container.</summary>
    public string TargetPath { get; } = targetPath;
}

/// <summary>The project behind a <see cref="ProjectResource"/>.</summary>
public sealed class ProjectMetadataAnnotation(IProjectMetadata metadata) : IResourceAnnotation
{
    public IProjectMetadata Metadata { get; } = metadata;
}
