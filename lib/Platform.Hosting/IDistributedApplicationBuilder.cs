using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.Hosting.ApplicationModel;

namespace Platform.Hosting;

public interface IDistributedApplicationBuilder
{
    ConfigurationManager Configuration { get; }

    IHostEnvironment Environment { get; }

    IServiceCollection Services { get; }

    DistributedApplicationExecutionContext ExecutionContext { get; }

    /// <summary>The AppHost project folder (its <c>.state</c> folder keeps data and generated secrets).</summary>
    string AppHostDirectory { get; }

    /// <summary>Where run mode keeps data folders, logs and generated secrets (a throw-away folder under test).</summary>
    string StateDirectory { get; }

    IResourceCollection Resources { get; }

    IResourceBuilder<T> AddResource<T>(T resource) where T : IResource;

    IResourceBuilder<T> CreateResourceBuilder<T>(T resource) where T : IResource;

    DistributedApplication Build();
}

public interface IResourceBuilder<out T> where T : IResource
{
    IDistributedApplicationBuilder ApplicationBuilder { get; }

    T Resource { get; }

    IResourceBuilder<T> WithAnnotation<TAnnotation>(TAnnotation annotation) where TAnnotation : IResourceAnnotation;
}

public interface IResourceCollection : IReadOnlyCollection<IResource>
{
    IResource this[string name] { get; }

    bool TryGet(string name, out IResource resource);
}

internal sealed class ResourceBuilder<T>(IDistributedApplicationBuilder applicationBuilder, T resource) : IResourceBuilder<T> where T : IResource
{
    public IDistributedApplicationBuilder ApplicationBuilder { get; } = applicationBuilder;

    public T Resource { get; } = resource;

    public IResourceBuilder<T> WithAnnotation<TAnnotation>(TAnnotation annotation) where TAnnotation : IResourceAnnotation
    {
        Resource.Annotations.Add(annotation);
        return this;
    }
}

internal sealed class ResourceCollection : IResourceCollection
{
    private readonly List<IResource> _resources = [];

    public int Count => _resources.Count;

    public IResource this[string name] => TryGet(name, out var r) ? r : throw UnknownResource(name, _resources);

    public bool TryGet(string name, out IResource resource)
    {
        resource = _resources.FirstOrDefault(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase))!;
        return resource is not null;
    }

    public void Add(IResource resource)
    {
        if (TryGet(resource.Name, out _))
        {
            throw new DistributedApplicationException($"Cannot add resource '{resource.Name}': a resource with that name already exists.");
        }

        _resources.Add(resource);
    }

    public IEnumerator<IResource> GetEnumerator() => _resources.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    internal static KeyNotFoundException UnknownResource(string name, IEnumerable<IResource> resources) =>
        new($"There is no resource named '{name}'. Resources: {string.Join(", ", resources.Select(r => r.Name))}.");
}

public enum DistributedApplicationOperation
{
    Run,
    Publish,
}

public sealed class DistributedApplicationExecutionContext(DistributedApplicationOperation operation, string? publisherName = null, string? outputPath = null)
{
    public DistributedApplicationOperation Operation { get; } = operation;

    public bool IsRunMode => Operation == DistributedApplicationOperation.Run;

    public bool IsPublishMode => Operation == DistributedApplicationOperation.Publish;

    /// <summary><c>--publisher manifest|helm|compose</c>.</summary>
    public string? PublisherName { get; } = publisherName;

    /// <summary><c>--output-path</c>.</summary>
    public string? OutputPath { get; } = outputPath;
}

public class DistributedApplicationException(string message, Exception? inner = null) : Exception(message, inner);
