using System.Runtime.ExceptionServices;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Logging;

namespace Platform.Hosting.Publishing.Model;

/// <summary>
/// The application model as the Helm and Compose writers see it: its compute resources (projects and containers, as
/// <see cref="DistributedApplicationModelExtensions.GetComputeResources"/> names them) with their environment and
/// arguments evaluated in publish mode exactly as Aspire's manifest publisher evaluates them, and the parameters they use.
/// </summary>
internal sealed class PublishedApplication
{
    /// <summary>The port a project listens on in its container when the model gives none (<c>HTTP_PORTS</c>), as Aspire's publishers use.</summary>
    public const int DefaultProjectPort = 8080;

    private readonly Dictionary<ParameterResource, PublishedParameter> _parameters = [];

    private readonly DistributedApplicationExecutionContext _executionContext;

    private PublishedApplication(string name, IReadOnlyList<Workload> workloads, DistributedApplicationExecutionContext executionContext)
    {
        Name = name;
        Workloads = workloads;
        _executionContext = executionContext;
    }

    /// <summary>The chart's name and the Compose project's.</summary>
    public string Name { get; }

    public IReadOnlyList<Workload> Workloads { get; }

    /// <summary>The parameters some workload uses, in the order they were first used.</summary>
    public IReadOnlyList<PublishedParameter> Parameters => [.. _parameters.Values];

    public static async Task<PublishedApplication> ReadAsync(string name, DistributedApplicationModel model,
        DistributedApplicationExecutionContext executionContext, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        foreach (var executable in model.Resources.OfType<ExecutableResource>().Where(r => !r.IsExcludedFromPublish()))
        {
            throw new DistributedApplicationException(
                $"Resource '{executable.Name}' is an executable: it has no image to deploy. Publish it as a container or a project, or exclude it from publishing.");
        }

        var workloads = model.GetComputeResources().Select(CreateWorkload).ToList();
        var byName = workloads.ToDictionary(w => w.Name, StringComparer.Ordinal);
        var application = new PublishedApplication(name, workloads, executionContext);
        var resolver = new ValueResolver(application.Parameter, reference =>
        {
            if (!byName.TryGetValue(reference.Resource.Name, out var target))
            {
                throw new DistributedApplicationException(
                    $"An endpoint of '{reference.Resource.Name}' is referenced, but '{reference.Resource.Name}' is not deployed with the application.");
            }

            var port = target.Ports.FirstOrDefault(p => p.Name == reference.EndpointName)
                ?? throw new DistributedApplicationException($"'{target.Name}' has no endpoint named '{reference.EndpointName}'.");
            return (target.Name, port);
        });

        foreach (var workload in workloads)
        {
            var configuration = await ExecutionConfigurationBuilder.Create(workload.Resource)
                .WithEnvironmentVariablesConfig()
                .WithArgumentsConfig()
                .BuildAsync(executionContext, logger, cancellationToken)
                .ConfigureAwait(false);
            if (configuration.Exception is not null)
            {
                ExceptionDispatchInfo.Throw(configuration.Exception);
            }

            foreach (var (key, value) in configuration.EnvironmentVariablesWithUnprocessed)
            {
                workload.Environment.Add(new(key, resolver.Resolve(value.Unprocessed)));
            }

            if (workload.IsProject && workload.Environment.All(e => e.Key != "OTEL_SERVICE_NAME"))
            {
                // What the dashboard shows the service as (Aspire's own publishers set it too).
                workload.Environment.Add(new("OTEL_SERVICE_NAME", PublishedValue.FromText(workload.Name)));
            }

            foreach (var argument in configuration.ArgumentsWithUnprocessed)
            {
                workload.Args.Add(resolver.Resolve(argument.Unprocessed));
            }
        }

        KnownServices.Apply(workloads);
        return application;
    }

    private PublishedParameter Parameter(ParameterResource parameter)
    {
        if (!_parameters.TryGetValue(parameter, out var published))
        {
            published = PublishedParameter.From(parameter, _executionContext);
            if (_parameters.Values.FirstOrDefault(p => p.EnvironmentName == published.EnvironmentName) is { } clash)
            {
                throw new DistributedApplicationException(
                    $"Parameters '{clash.Name}' and '{parameter.Name}' would both be carried as {published.EnvironmentName}: rename one.");
            }

            _parameters.Add(parameter, published);
        }

        return published;
    }

    private static Workload CreateWorkload(IResource resource)
    {
        string? image = null;
        string? entrypoint = null;
        string? projectPath = null;
        if (resource is ProjectResource project)
        {
            projectPath = project.GetProjectMetadata().ProjectPath;
        }
        else if (resource is ContainerResource container)
        {
            if (!container.TryGetContainerImageName(out image))
            {
                throw new DistributedApplicationException($"Container '{resource.Name}' has no image to deploy.");
            }

            entrypoint = container.Entrypoint;
        }
        else
        {
            throw new DistributedApplicationException(
                $"Resource '{resource.Name}' ({resource.GetType().Name}) has no Helm or Compose form: only projects and containers are deployed.");
        }

        var workload = new Workload(resource)
        {
            Image = image,
            Entrypoint = entrypoint,
            ProjectPath = projectPath,
            Replicas = resource.GetReplicaCount(),
        };

        foreach (var endpoint in resource.Annotations.OfType<EndpointAnnotation>())
        {
            workload.Ports.Add(Port(resource, endpoint));
        }

        if (resource.TryGetContainerMounts(out var mounts))
        {
            foreach (var mount in mounts)
            {
                if (mount.Type != ContainerMountType.Volume || string.IsNullOrEmpty(mount.Source))
                {
                    throw new DistributedApplicationException(
                        $"'{resource.Name}' mounts {mount.Source ?? "an anonymous volume"} at {mount.Target}: only named volumes are deployed (a bind mount has no host folder in a cluster).");
                }

                workload.Volumes.Add(new PublishedVolume(mount.Source, mount.Target, mount.IsReadOnly));
            }
        }

        if (workload.Volumes.Count > 0 && workload.Replicas > 1)
        {
            throw new DistributedApplicationException(
                $"'{resource.Name}' has a volume and {workload.Replicas} replicas: each replica would get a volume of its own, so their data would differ.");
        }

        return workload;
    }

    /// <summary>
    /// A container listens on the endpoint's target port. A project's endpoints without one all land on the port its
    /// <c>HTTP_PORTS</c> names, over plain HTTP: there is no certificate in the container, TLS ends at the Ingress.
    /// </summary>
    private static PublishedPort Port(IResource resource, EndpointAnnotation endpoint)
    {
        if (endpoint.TargetPort is { } target)
        {
            return new PublishedPort(endpoint.Name, target, endpoint.UriScheme, endpoint.IsExternal, endpoint.Port);
        }

        if (resource is ProjectResource)
        {
            return new PublishedPort(endpoint.Name, DefaultProjectPort, endpoint.Transport == "http" ? "http" : endpoint.UriScheme, endpoint.IsExternal, endpoint.Port);
        }

        return new PublishedPort(endpoint.Name, endpoint.Port
            ?? throw new DistributedApplicationException($"Endpoint '{endpoint.Name}' of '{resource.Name}' has no target port."), endpoint.UriScheme, endpoint.IsExternal);
    }
}
