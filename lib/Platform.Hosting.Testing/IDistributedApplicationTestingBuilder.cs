using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.Hosting.ApplicationModel;

namespace Platform.Hosting.Testing;

public interface IDistributedApplicationTestingBuilder : IDistributedApplicationBuilder
{
    /// <summary>The options the application will run with (change the start timeout, stop timeout, log sink…).</summary>
    DistributedApplicationOptions Options { get; }

    /// <summary>A builder for an existing resource, to change it before start; an unknown name fails at once.</summary>
    IResourceBuilder<T> GetResource<T>(string name) where T : IResource;

    Task<DistributedApplication> BuildAsync(CancellationToken cancellationToken = default);
}

internal sealed class TestingBuilder(DistributedApplicationBuilder inner) : IDistributedApplicationTestingBuilder
{
    public DistributedApplicationOptions Options => inner.Options;

    public ConfigurationManager Configuration => inner.Configuration;

    public IHostEnvironment Environment => inner.Environment;

    public IServiceCollection Services => inner.Services;

    public DistributedApplicationExecutionContext ExecutionContext => inner.ExecutionContext;

    public string AppHostDirectory => inner.AppHostDirectory;

    public string StateDirectory => inner.StateDirectory;

    public IResourceCollection Resources => inner.Resources;

    public IResourceBuilder<T> AddResource<T>(T resource) where T : IResource => inner.AddResource(resource);

    public IResourceBuilder<T> CreateResourceBuilder<T>(T resource) where T : IResource => inner.CreateResourceBuilder(resource);

    public IResourceBuilder<T> GetResource<T>(string name) where T : IResource =>
        inner.Resources[name] is T resource ? inner.CreateResourceBuilder(resource)
            : throw new InvalidOperationException($"Resource '{name}' is a {inner.Resources[name].GetType().Name}, not a {typeof(T).Name}.");

    public DistributedApplication Build() => inner.BuildCore();

    public Task<DistributedApplication> BuildAsync(CancellationToken cancellationToken = default) => Task.FromResult(inner.BuildCore());
}
