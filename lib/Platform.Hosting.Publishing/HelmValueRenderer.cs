using System.Globalization;
using Platform.Hosting.ApplicationModel;

namespace Platform.Hosting.Publishing;

/// <summary>
/// Kubernetes values: parameters are the container's own environment variables, referenced as <c>$(NAME)</c> (expanded
/// by the kubelet, so a secret stays in its Secret); hosts are the chart's Service and Pod DNS names.
/// </summary>
internal sealed class HelmValueRenderer(PublishContext context, bool forEnv) : ValueRenderer
{
    // Literal "$(" would be expanded by the kubelet in an env value; "$$(" keeps it literal.
    protected override string Literal(string text) => forEnv ? text.Replace("$(", "$$(", StringComparison.Ordinal) : text;

    protected override string Parameter(ParameterResource parameter) => $"$({PublishContext.EnvironmentName(parameter)})";

    protected override string Endpoint(EndpointReference endpoint, EndpointProperty property) =>
        ServiceEndpoint(endpoint, property, Host, context.TargetPort);

    public static string Host(IResource resource, int instance) => resource switch
    {
        RedisResource or RedisSentinelResource => $"{resource.Name}-{instance.ToString(CultureInfo.InvariantCulture)}.{resource.Name}-headless",
        _ => $"{resource.Name}-service",
    };
}

/// <summary>Compose values: parameters from <c>.env</c> (<c>${NAME}</c>), hosts are service names, literal <c>$</c> doubled.</summary>
internal sealed class ComposeValueRenderer(PublishContext context) : ValueRenderer
{
    protected override string Literal(string text) => text.Replace("$", "$$", StringComparison.Ordinal);

    protected override string Parameter(ParameterResource parameter) => $"${{{PublishContext.EnvironmentName(parameter)}}}";

    protected override string Endpoint(EndpointReference endpoint, EndpointProperty property) =>
        ServiceEndpoint(endpoint, property, (r, i) => PublishContext.InstanceNames(r)[i], context.TargetPort);
}
