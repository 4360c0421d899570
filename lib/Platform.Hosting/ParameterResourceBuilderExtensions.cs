using Platform.Hosting.ApplicationModel;

namespace Platform.Hosting;

public static class ParameterResourceBuilderExtensions
{
    /// <summary>A value from <c>Parameters:&lt;name&gt;</c>. A secret one without a configured value is generated once and kept in the state folder.</summary>
    public static IResourceBuilder<ParameterResource> AddParameter(this IDistributedApplicationBuilder builder, string name, bool secret = false) =>
        builder.AddResource(new ParameterResource(name, secret, secret ? new GenerateParameterDefault() : null));

    public static IResourceBuilder<ParameterResource> AddParameter(this IDistributedApplicationBuilder builder, string name, GenerateParameterDefault generate, bool secret = true) =>
        builder.AddResource(new ParameterResource(name, secret, generate));

    /// <summary>The parameter Aspire adds for a resource's password (<c>&lt;name&gt;-password</c>), or the one given.</summary>
    internal static ParameterResource PasswordFor(IDistributedApplicationBuilder builder, string resourceName, IResourceBuilder<ParameterResource>? password)
    {
        if (builder.Resources.TryGet(resourceName, out _))
        {
            throw new DistributedApplicationException($"Cannot add resource '{resourceName}': a resource with that name already exists.");
        }

        if (password is not null)
        {
            return password.Resource;
        }

        var parameter = new ParameterResource($"{resourceName}-password", secret: true, new GenerateParameterDefault(MinLength: 22, Special: false));
        builder.AddResource(parameter);
        return parameter;
    }
}
