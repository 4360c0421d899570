using System.Globalization;
using System.Text;
using Platform.Hosting.ApplicationModel;

namespace Platform.Hosting.Publishing;

/// <summary>
/// Turns a model value (text, parameter, endpoint, connection string, expression) into the text of one target:
/// a manifest expression, a Kubernetes env value, a Compose value. Records the parameters it used.
/// </summary>
internal abstract class ValueRenderer
{
    public HashSet<ParameterResource> UsedParameters { get; } = [];

    public string Render(object? value) => value switch
    {
        null => string.Empty,
        string s => Literal(s),
        ParameterResource p => UseParameter(p),
        IResourceWithConnectionString r => ConnectionString(r),
        EndpointReference e => Endpoint(e, EndpointProperty.Url),
        EndpointReferenceExpression x => Endpoint(x.Endpoint, x.Property),
        ReferenceExpression x => Expression(x),
        IFormattable f => Literal(f.ToString(null, CultureInfo.InvariantCulture)),
        _ => throw new DistributedApplicationException($"A value of type {value.GetType().Name} cannot be published."),
    };

    private string UseParameter(ParameterResource parameter)
    {
        UsedParameters.Add(parameter);
        return Parameter(parameter);
    }

    protected abstract string Literal(string text);

    protected abstract string Parameter(ParameterResource parameter);

    /// <summary>By default the connection string is written out in full (targets without a connection-string reference).</summary>
    protected virtual string ConnectionString(IResourceWithConnectionString resource) => Expression(resource.ConnectionStringExpression);

    protected abstract string Endpoint(EndpointReference endpoint, EndpointProperty property);

    /// <summary>Walks the composite format: doubled braces are literal, <c>{i}</c> is value i.</summary>
    protected string Expression(ReferenceExpression expression)
    {
        var output = new StringBuilder();
        var literal = new StringBuilder();
        var format = expression.Format;
        for (var i = 0; i < format.Length; i++)
        {
            var c = format[i];
            if ((c == '{' || c == '}') && i + 1 < format.Length && format[i + 1] == c)
            {
                literal.Append(c);
                i++;
            }
            else if (c == '{')
            {
                var end = format.IndexOf('}', i);
                var index = int.Parse(format.AsSpan(i + 1, end - i - 1), NumberStyles.None, CultureInfo.InvariantCulture);
                output.Append(Literal(literal.ToString()));
                literal.Clear();
                output.Append(Render(expression.ValueProviders[index]));
                i = end;
            }
            else
            {
                literal.Append(c);
            }
        }

        return output.Append(Literal(literal.ToString())).ToString();
    }

    /// <summary>Host and port as seen by other workloads: the service name and the port the workload listens on.</summary>
    protected string ServiceEndpoint(EndpointReference endpoint, EndpointProperty property, Func<IResource, int, string> hostOf, Func<EndpointAnnotation, int> portOf)
    {
        var annotation = endpoint.Annotation;
        var port = portOf(annotation).ToString(CultureInfo.InvariantCulture);
        var host = hostOf(endpoint.Resource, 0);
        return property switch
        {
            EndpointProperty.Url => Literal($"{annotation.Scheme}://{host}:{port}"),
            EndpointProperty.Host => Literal(host),
            EndpointProperty.Port or EndpointProperty.TargetPort => Literal(port),
            EndpointProperty.HostAndPort => Literal($"{host}:{port}"),
            EndpointProperty.AllInstancesHostAndPort => Literal(string.Join(',',
                PublishContext.InstanceNames(endpoint.Resource).Select((_, i) => $"{hostOf(endpoint.Resource, i)}:{port}"))),
            _ => throw new DistributedApplicationException($"Endpoint property {property} cannot be published."),
        };
    }
}

/// <summary>Aspire manifest expressions: <c>{redis-password.value}</c>, <c>{postgres.bindings.tcp.host}</c>, <c>{syncdb.connectionString}</c>.</summary>
internal sealed class ManifestValueRenderer : ValueRenderer
{
    protected override string Literal(string text) => text;

    protected override string Parameter(ParameterResource parameter) => $"{{{parameter.Name}.value}}";

    protected override string ConnectionString(IResourceWithConnectionString resource) => $"{{{resource.Name}.connectionString}}";

    protected override string Endpoint(EndpointReference endpoint, EndpointProperty property)
    {
        _ = endpoint.Annotation;
        string Binding(string instance, string what) => $"{{{instance}.bindings.{endpoint.EndpointName}.{what}}}";
        var name = endpoint.Resource.Name;
        return property switch
        {
            EndpointProperty.Url => Binding(name, "url"),
            EndpointProperty.Host => Binding(name, "host"),
            EndpointProperty.Port => Binding(name, "port"),
            EndpointProperty.TargetPort => Binding(name, "targetPort"),
            EndpointProperty.HostAndPort => $"{Binding(name, "host")}:{Binding(name, "port")}",
            EndpointProperty.AllInstancesHostAndPort => string.Join(',',
                PublishContext.InstanceNames(endpoint.Resource).Select(i => $"{Binding(i, "host")}:{Binding(i, "port")}")),
            _ => throw new DistributedApplicationException($"Endpoint property {property} cannot be published."),
        };
    }
}
