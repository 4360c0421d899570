using Aspire.Hosting.ApplicationModel;

namespace Platform.Hosting.Publishing.Model;

/// <summary>
/// One compute resource of the model as it is deployed: a project (image from <c>dotnet publish -t:PublishContainer</c>)
/// or a container, with its environment, arguments, ports, volumes, replicas and probes.
/// </summary>
internal sealed class Workload(IResource resource)
{
    public IResource Resource { get; } = resource;

    /// <summary>The resource name: the Kubernetes Service and the Compose service, so other workloads reach it by it.</summary>
    public string Name => Resource.Name;

    public bool IsProject => Resource is ProjectResource;

    /// <summary>
    /// The user the .NET images that <c>dotnet publish -t:PublishContainer</c> builds run a project as (<c>app</c>,
    /// uid and gid 1654): a fresh volume belongs to root, so a project's volumes are handed to it first.
    /// </summary>
    public const int ProjectUserId = 1654;

    /// <summary>A container's image; null for a project, whose image the deployment names (values.yaml, .env).</summary>
    public string? Image { get; init; }

    /// <summary>The project file a project's image is built from.</summary>
    public string? ProjectPath { get; init; }

    public string? Entrypoint { get; init; }

    public List<PublishedValue> Args { get; } = [];

    public List<KeyValuePair<string, PublishedValue>> Environment { get; } = [];

    public List<PublishedPort> Ports { get; } = [];

    public List<PublishedVolume> Volumes { get; } = [];

    public List<PublishedFile> Files { get; } = [];

    public int Replicas { get; init; } = 1;

    public Probe? Readiness { get; set; }

    public Probe? Liveness { get; set; }

    /// <summary>What must be up before this starts (Compose <c>depends_on</c>; Kubernetes pods retry instead).</summary>
    public List<Dependency> DependsOn { get; } = [];

    /// <summary>The ports the container listens on, once each (a project's http and https endpoints share one).</summary>
    public IEnumerable<PublishedPort> DistinctPorts => Ports.DistinctBy(p => p.TargetPort);

    public PublishedPort? HttpPort => Ports.FirstOrDefault(p => p.Scheme == "http");
}

/// <summary>
/// An endpoint: the port the container listens on (also the Service port), external when the model says so, with the
/// host port the model asks for (Compose publishes it there).
/// </summary>
internal sealed record PublishedPort(string Name, int TargetPort, string Scheme, bool IsExternal, int? HostPort = null);

/// <summary>A named volume mounted into the container (a PersistentVolumeClaim per pod in Kubernetes).</summary>
internal sealed record PublishedVolume(string Name, string Target, bool ReadOnly);

/// <summary>A file the container needs at <see cref="Directory"/> (a ConfigMap in Kubernetes, a config in Compose).</summary>
internal sealed record PublishedFile(string Directory, string FileName, string Content);

internal sealed record Dependency(Workload Target, DependencyCondition Condition);

internal enum DependencyCondition
{
    Started,
    Healthy,
    CompletedSuccessfully,
}

internal abstract record Probe;

/// <summary>An HTTP GET that must answer 2xx.</summary>
internal sealed record HttpProbe(string Path, PublishedPort Port) : Probe;

/// <summary>A <c>/bin/sh -c</c> command run in the container, with the container's environment (secrets stay there).</summary>
internal sealed record CommandProbe(string Command) : Probe;

/// <summary>A TCP connection that must be accepted.</summary>
internal sealed record TcpProbe(PublishedPort Port) : Probe;
