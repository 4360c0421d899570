using Platform.Hosting.ApplicationModel;

namespace Platform.Hosting;

public static class ResourceBuilderExtensions
{
    public static IResourceBuilder<T> WithEnvironment<T>(this IResourceBuilder<T> builder, string name, string? value) where T : IResourceWithEnvironment =>
        builder.WithAnnotation(new EnvironmentCallbackAnnotation(c => c.EnvironmentVariables[name] = value ?? string.Empty));

    /// <summary>A value from a parameter, an endpoint or an expression (resolved at start; an expression when published).</summary>
    public static IResourceBuilder<T> WithEnvironment<T>(this IResourceBuilder<T> builder, string name, IValueProvider value) where T : IResourceWithEnvironment
    {
        if (value is ParameterResource parameter)
        {
            builder.WithAnnotation(new ResourceRelationshipAnnotation(parameter, "Reference"));
        }

        return builder.WithAnnotation(new EnvironmentCallbackAnnotation(c => c.EnvironmentVariables[name] = value));
    }

    public static IResourceBuilder<T> WithEnvironment<T>(this IResourceBuilder<T> builder, string name, IResourceBuilder<ParameterResource> parameter) where T : IResourceWithEnvironment =>
        builder.WithEnvironment(name, parameter.Resource);

    public static IResourceBuilder<T> WithEnvironment<T>(this IResourceBuilder<T> builder, string name, ReferenceExpression.ExpressionInterpolatedStringHandler value) where T : IResourceWithEnvironment =>
        builder.WithEnvironment(name, (IValueProvider)ReferenceExpression.Create(value));

    public static IResourceBuilder<T> WithEnvironment<T>(this IResourceBuilder<T> builder, Action<EnvironmentCallbackContext> callback) where T : IResourceWithEnvironment =>
        builder.WithAnnotation(new EnvironmentCallbackAnnotation(callback));

    public static IResourceBuilder<T> WithArgs<T>(this IResourceBuilder<T> builder, params object[] args) where T : IResourceWithArgs =>
        builder.WithAnnotation(new CommandLineArgsAnnotation(args));

    /// <summary><c>ConnectionStrings__&lt;name&gt;</c> for the resource's clients.</summary>
    public static IResourceBuilder<T> WithReference<T>(this IResourceBuilder<T> builder, IResourceBuilder<IResourceWithConnectionString> source, string? connectionName = null)
        where T : IResourceWithEnvironment
    {
        var resource = source.Resource;
        var name = connectionName ?? resource.ConnectionStringName;
        builder.WithAnnotation(new ResourceRelationshipAnnotation(resource, "Reference"));
        return builder.WithAnnotation(new EnvironmentCallbackAnnotation(c => c.EnvironmentVariables[$"ConnectionStrings__{name}"] = resource));
    }

    /// <summary><c>services__&lt;name&gt;__&lt;endpoint&gt;__0</c> for each HTTP endpoint of the project (service discovery).</summary>
    public static IResourceBuilder<T> WithReference<T>(this IResourceBuilder<T> builder, IResourceBuilder<IResourceWithServiceDiscovery> source)
        where T : IResourceWithEnvironment
    {
        var resource = source.Resource;
        builder.WithAnnotation(new ResourceRelationshipAnnotation(resource, "Reference"));
        return builder.WithAnnotation(new EnvironmentCallbackAnnotation(c =>
        {
            foreach (var endpoint in resource.Annotations.OfType<EndpointAnnotation>())
            {
                c.EnvironmentVariables[$"services__{resource.Name}__{endpoint.Name}__0"] = new EndpointReference(resource, endpoint.Name);
            }
        }));
    }

    /// <summary>Start only once <paramref name="dependency"/> is running and healthy; fail with a message naming it if it fails.</summary>
    public static IResourceBuilder<T> WaitFor<T>(this IResourceBuilder<T> builder, IResourceBuilder<IResource> dependency) where T : IResourceWithWaitSupport =>
        builder.WithAnnotation(new WaitAnnotation(dependency.Resource, WaitType.WaitUntilHealthy));

    /// <summary>Start only once <paramref name="dependency"/> has run to completion with <paramref name="exitCode"/>.</summary>
    public static IResourceBuilder<T> WaitForCompletion<T>(this IResourceBuilder<T> builder, IResourceBuilder<IResource> dependency, int exitCode = 0) where T : IResourceWithWaitSupport =>
        builder.WithAnnotation(new WaitAnnotation(dependency.Resource, WaitType.WaitForCompletion, exitCode));

    public static IResourceBuilder<T> WithHttpEndpoint<T>(this IResourceBuilder<T> builder, int? port = null, int? targetPort = null, string name = "http") where T : IResourceWithEndpoints =>
        builder.WithEndpoint(name, "http", port, targetPort);

    public static IResourceBuilder<T> WithEndpoint<T>(this IResourceBuilder<T> builder, string name, string scheme = "tcp", int? port = null, int? targetPort = null) where T : IResourceWithEndpoints
    {
        var existing = builder.Resource.Annotations.OfType<EndpointAnnotation>().FirstOrDefault(e => e.Name == name);
        if (existing is not null)
        {
            existing.Scheme = scheme;
            existing.Port = port ?? existing.Port;
            existing.TargetPort = targetPort ?? existing.TargetPort;
            return builder;
        }

        return builder.WithAnnotation(new EndpointAnnotation(name, scheme, targetPort, port));
    }

    /// <summary>Every HTTP endpoint is reachable from outside the deployment when published (ingress).</summary>
    public static IResourceBuilder<T> WithExternalHttpEndpoints<T>(this IResourceBuilder<T> builder) where T : IResourceWithEndpoints
    {
        foreach (var endpoint in builder.Resource.Annotations.OfType<EndpointAnnotation>().Where(e => e.Transport == "http"))
        {
            endpoint.IsExternal = true;
        }

        return builder;
    }

    public static EndpointReference GetEndpoint<T>(this IResourceBuilder<T> builder, string name) where T : IResourceWithEndpoints =>
        new(builder.Resource, name);

    /// <summary>Healthy only when GET <paramref name="path"/> on the endpoint answers <paramref name="statusCode"/>.</summary>
    public static IResourceBuilder<T> WithHttpHealthCheck<T>(this IResourceBuilder<T> builder, string path = "/health", int statusCode = 200, string endpointName = "http")
        where T : IResourceWithEndpoints
    {
        if (!builder.Resource.Annotations.OfType<EndpointAnnotation>().Any(e => e.Name == endpointName))
        {
            throw new InvalidOperationException($"Resource '{builder.Resource.Name}' has no endpoint named '{endpointName}' to health-check.");
        }

        return builder.WithAnnotation(new HttpHealthCheckAnnotation(path, endpointName, statusCode));
    }

    /// <summary>Keep the resource's data across runs (run mode: under the state folder; published: a volume).</summary>
    public static IResourceBuilder<T> WithDataVolume<T>(this IResourceBuilder<T> builder, string? name = null) where T : IResource
    {
        var target = builder.Resource switch
        {
            PostgresServerResource => "/var/lib/postgresql/data",
            _ => "/data",
        };
        if (!builder.Resource.Annotations.OfType<DataVolumeAnnotation>().Any())
        {
            builder.WithAnnotation(new DataVolumeAnnotation(name ?? $"{builder.Resource.Name}-data", target));
        }

        return builder;
    }

    /// <summary>
    /// Where the resource's data volume is, for the resource's own configuration (a SQLite file, say): a folder under
    /// the state folder in run mode (created, kept across runs), the volume's mount path when published.
    /// </summary>
    public static string GetDataVolumePath<T>(this IResourceBuilder<T> builder) where T : IResource
    {
        var volume = builder.Resource.Annotations.OfType<DataVolumeAnnotation>().LastOrDefault()
            ?? throw new InvalidOperationException($"Resource '{builder.Resource.Name}' has no data volume: call WithDataVolume() first.");
        var app = builder.ApplicationBuilder;
        if (!app.ExecutionContext.IsRunMode)
        {
            return volume.TargetPath;
        }

        var path = Path.Combine(app.StateDirectory, "volumes", volume.Name);
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Replace the published image (run mode keeps using the machine's binaries).</summary>
    public static IResourceBuilder<T> WithImageTag<T>(this IResourceBuilder<T> builder, string tag) where T : IResource
    {
        var image = builder.Resource.Annotations.OfType<ContainerImageAnnotation>().LastOrDefault()
            ?? throw new InvalidOperationException($"Resource '{builder.Resource.Name}' has no container image.");
        image.Tag = tag;
        return builder;
    }
}
