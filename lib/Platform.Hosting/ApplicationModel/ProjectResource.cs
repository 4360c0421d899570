namespace Platform.Hosting.ApplicationModel;

/// <summary>A .NET project of the solution; run mode starts <c>dotnet &lt;built dll&gt;</c> per replica.</summary>
public sealed class ProjectResource(string name)
    : Resource(name), IResourceWithEnvironment, IResourceWithArgs, IResourceWithServiceDiscovery, IResourceWithWaitSupport
{
    public IProjectMetadata Metadata => Annotations.OfType<ProjectMetadataAnnotation>().Single().Metadata;

    public int Replicas => Annotations.OfType<ReplicaAnnotation>().LastOrDefault()?.Replicas ?? 1;
}

/// <summary>Any program on the machine.</summary>
public sealed class ExecutableResource(string name, string command, string workingDirectory)
    : Resource(name), IResourceWithEnvironment, IResourceWithArgs, IResourceWithEndpoints, IResourceWithWaitSupport
{
    public string Command { get; } = command;

    public string WorkingDirectory { get; } = workingDirectory;
}
