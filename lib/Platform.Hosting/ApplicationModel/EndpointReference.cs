namespace Platform.Hosting.ApplicationModel;

/// <summary>An endpoint of a resource, usable in expressions: <c>endpoint.Url</c>, <c>endpoint.Property(EndpointProperty.Port)</c>.</summary>
public sealed class EndpointReference(IResourceWithEndpoints resource, string endpointName) : IValueProvider, IManifestExpressionProvider
{
    public IResourceWithEndpoints Resource { get; } = resource;

    public string EndpointName { get; } = endpointName;

    public EndpointAnnotation Annotation =>
        Resource.Annotations.OfType<EndpointAnnotation>().FirstOrDefault(e => e.Name == EndpointName)
        ?? throw new InvalidOperationException($"Resource '{Resource.Name}' has no endpoint named '{EndpointName}'.");

    public bool Exists => Resource.Annotations.OfType<EndpointAnnotation>().Any(e => e.Name == EndpointName);

    public EndpointReferenceExpression Url => Property(EndpointProperty.Url);

    public EndpointReferenceExpression Host => Property(EndpointProperty.Host);

    public EndpointReferenceExpression Port => Property(EndpointProperty.Port);

    /// <summary>Run mode: every instance as <c>host:port</c>, comma-separated (Sentinel addresses in a connection string).</summary>
    public EndpointReferenceExpression AllInstancesHostAndPort => Property(EndpointProperty.AllInstancesHostAndPort);

    public EndpointReferenceExpression Property(EndpointProperty property) => new(this, property);

    public string ValueExpression => Url.ValueExpression;

    public ValueTask<string?> GetValueAsync(CancellationToken cancellationToken = default) => Url.GetValueAsync(cancellationToken);

    internal AllocatedEndpoint Allocated =>
        Annotation.AllocatedEndpoint ?? throw new InvalidOperationException(
            $"Endpoint '{EndpointName}' of '{Resource.Name}' has no address yet: addresses are allocated when the application starts.");
}

public enum EndpointProperty
{
    Url,
    Host,
    Port,
    HostAndPort,
    TargetPort,
    AllInstancesHostAndPort,
}

public sealed class EndpointReferenceExpression(EndpointReference endpoint, EndpointProperty property) : IValueProvider, IManifestExpressionProvider
{
    public EndpointReference Endpoint { get; } = endpoint;

    public EndpointProperty Property { get; } = property;

    public string ValueExpression
    {
        get
        {
            var prefix = $"{{{Endpoint.Resource.Name}.bindings.{Endpoint.EndpointName}.";
            return Property switch
            {
                EndpointProperty.Url => prefix + "url}",
                EndpointProperty.Host => prefix + "host}",
                EndpointProperty.Port => prefix + "port}",
                EndpointProperty.TargetPort => prefix + "targetPort}",
                EndpointProperty.HostAndPort or EndpointProperty.AllInstancesHostAndPort => prefix + "host}:" + prefix + "port}",
                _ => throw new InvalidOperationException($"Unknown endpoint property {Property}."),
            };
        }
    }

    public ValueTask<string?> GetValueAsync(CancellationToken cancellationToken = default)
    {
        var allocated = Endpoint.Allocated;
        string value = Property switch
        {
            EndpointProperty.Url => allocated.Url,
            EndpointProperty.Host => allocated.Host,
            EndpointProperty.Port => allocated.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            EndpointProperty.HostAndPort => allocated.HostAndPort,
            EndpointProperty.TargetPort => (Endpoint.Annotation.TargetPort ?? allocated.Port).ToString(System.Globalization.CultureInfo.InvariantCulture),
            EndpointProperty.AllInstancesHostAndPort => string.Join(',', Endpoint.Annotation.InstanceEndpoints.Select(e => e.HostAndPort)),
            _ => throw new InvalidOperationException($"Unknown endpoint property {Property}."),
        };
        return ValueTask.FromResult<string?>(value);
    }
}
