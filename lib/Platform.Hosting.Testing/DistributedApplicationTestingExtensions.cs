using Platform.Hosting.ApplicationModel;
using Platform.Hosting.Orchestration;
using Xunit;

namespace Platform.Hosting.Testing;

public static class DistributedApplicationTestingExtensions
{
    /// <summary>An HttpClient whose base address is the resource's endpoint (the stable one when it has replicas).</summary>
    public static HttpClient CreateHttpClient(this DistributedApplication app, string resourceName, string? endpointName = null) =>
        new() { BaseAddress = app.GetEndpoint(resourceName, endpointName) };

    /// <summary>The address of an endpoint (the first HTTP one when no name is given).</summary>
    public static Uri GetEndpoint(this DistributedApplication app, string resourceName, string? endpointName = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        var resource = app.Model[resourceName];
        var endpoints = resource.Annotations.OfType<EndpointAnnotation>().ToList();
        var endpoint = endpointName is null
            ? endpoints.FirstOrDefault(e => e.Transport == "http") ?? endpoints.FirstOrDefault()
            : endpoints.FirstOrDefault(e => e.Name == endpointName);
        if (endpoint is null)
        {
            throw new InvalidOperationException($"Resource '{resource.Name}' has no endpoint{(endpointName is null ? string.Empty : $" named '{endpointName}'")}. Endpoints: {string.Join(", ", endpoints.Select(e => e.Name))}.");
        }

        var allocated = endpoint.AllocatedEndpoint
            ?? throw new InvalidOperationException($"Endpoint '{endpoint.Name}' of '{resource.Name}' has no address yet: start the application first.");
        return new Uri(allocated.Url);
    }

    public static async Task<string?> GetConnectionStringAsync(this DistributedApplication app, string resourceName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.Model[resourceName] is IResourceWithConnectionString resource
            ? await resource.ConnectionStringExpression.GetValueAsync(cancellationToken).ConfigureAwait(false)
            : throw new InvalidOperationException($"Resource '{resourceName}' has no connection string.");
    }

    /// <summary>Sends every resource's output to this test's output from now on (for apps shared by several tests).</summary>
    public static void SendLogsTo(this DistributedApplication app, ITestOutputHelper? output)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.ResourceLogs.Sink = output is null ? null : line => output.WriteLine(line.ToString());
    }

    public static Task StopResourceAsync(this DistributedApplication app, string resourceOrInstance, CancellationToken cancellationToken = default) =>
        app.ResourceCommands.StopAsync(resourceOrInstance, cancellationToken);

    public static Task StartResourceAsync(this DistributedApplication app, string resourceOrInstance, CancellationToken cancellationToken = default) =>
        app.ResourceCommands.StartAsync(resourceOrInstance, cancellationToken);

    /// <summary>SIGKILL, as a crash: the instance ends Exited with code 137.</summary>
    public static Task KillResourceAsync(this DistributedApplication app, string resourceOrInstance, CancellationToken cancellationToken = default) =>
        app.ResourceCommands.KillAsync(resourceOrInstance, cancellationToken);

    public static Task RestartResourceAsync(this DistributedApplication app, string resourceOrInstance, CancellationToken cancellationToken = default) =>
        app.ResourceCommands.RestartAsync(resourceOrInstance, cancellationToken);

    /// <summary>Forces a Sentinel failover of a Redis resource and returns the new master's <c>host:port</c> once every Sentinel agrees.</summary>
    public static Task<string> ForceFailoverAsync(this DistributedApplication app, string redisResource, CancellationToken cancellationToken = default) =>
        app.ResourceCommands.FailoverAsync(redisResource, cancellationToken);

    /// <summary>The kept output of a resource (every instance) or one instance.</summary>
    public static IReadOnlyList<LogLine> GetResourceLogs(this DistributedApplication app, string resourceOrInstance) =>
        app.ResourceLogs.GetLogs(resourceOrInstance);
}
