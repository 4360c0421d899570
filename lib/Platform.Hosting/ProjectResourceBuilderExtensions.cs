using Platform.Hosting.ApplicationModel;

namespace Platform.Hosting;

public static class ProjectResourceBuilderExtensions
{
    /// <summary>A project of the solution (<c>Projects.X</c> is generated from the AppHost's ProjectReferences), with an <c>http</c> endpoint.</summary>
    public static IResourceBuilder<ProjectResource> AddProject<TProject>(this IDistributedApplicationBuilder builder, string name)
        where TProject : IProjectMetadata, new() => builder.AddProject(name, new TProject());

    public static IResourceBuilder<ProjectResource> AddProject(this IDistributedApplicationBuilder builder, string name, IProjectMetadata metadata) =>
        builder.AddResource(new ProjectResource(name))
            .WithAnnotation(new ProjectMetadataAnnotation(metadata))
            .WithAnnotation(new EndpointAnnotation("http", "http", targetPort: 8080));

    public static IResourceBuilder<ProjectResource> AddProject(this IDistributedApplicationBuilder builder, string name, string projectPath) =>
        builder.AddProject(name, new ProjectPathMetadata(Path.GetFullPath(projectPath, builder.AppHostDirectory)));

    /// <summary>Several instances, each with its own port, behind one stable endpoint (a TCP proxy) in run mode.</summary>
    public static IResourceBuilder<ProjectResource> WithReplicas(this IResourceBuilder<ProjectResource> builder, int replicas) =>
        builder.WithAnnotation(new ReplicaAnnotation(replicas));

    public static IResourceBuilder<ExecutableResource> AddExecutable(this IDistributedApplicationBuilder builder, string name, string command, string workingDirectory, params object[] args)
    {
        var resource = builder.AddResource(new ExecutableResource(name, command, Path.GetFullPath(workingDirectory, builder.AppHostDirectory)));
        return args.Length > 0 ? resource.WithArgs(args) : resource;
    }

    private sealed record ProjectPathMetadata(string ProjectPath) : IProjectMetadata;
}
