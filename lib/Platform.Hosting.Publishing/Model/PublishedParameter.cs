using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Publishing;

namespace Platform.Hosting.Publishing.Model;

/// <summary>
/// A parameter of the model as the targets declare it: a secret generated once and kept (Helm: a Secret looked up on
/// upgrade; Compose: <c>.env</c>), a secret the operator supplies, or a plain value with its default.
/// </summary>
internal sealed class PublishedParameter
{
    private PublishedParameter(ParameterResource resource, GenerateParameterDefault? generate, string? defaultValue)
    {
        Resource = resource;
        Generate = generate;
        DefaultValue = defaultValue;
        EnvironmentName = ToEnvironmentName(resource.Name);
    }

    public ParameterResource Resource { get; }

    public string Name => Resource.Name;

    public bool Secret => Resource.Secret;

    /// <summary><c>redis-password</c> → <c>REDIS_PASSWORD</c>: the variable a target carries the value in.</summary>
    public string EnvironmentName { get; }

    /// <summary>How the value is generated when nobody gives one (the manifest's <c>default.generate</c>).</summary>
    public GenerateParameterDefault? Generate { get; }

    /// <summary>A constant default (the manifest's <c>default.value</c>).</summary>
    public string? DefaultValue { get; }

    /// <summary>Whether some value uses this parameter URI-encoded: the targets then carry an encoded copy too.</summary>
    public bool UsedUriEncoded { get; set; }

    public static string ToEnvironmentName(string name) => name.ToUpperInvariant().Replace('-', '_').Replace('.', '_');

    /// <summary>
    /// Reads the parameter's default the way azd does, from the form Aspire writes into the manifest: a parameter
    /// default is only known through <see cref="ParameterDefault.WriteToManifest"/> (run-mode wrappers such as the
    /// user-secrets default hide the generator behind it).
    /// </summary>
    public static PublishedParameter From(ParameterResource parameter, DistributedApplicationExecutionContext executionContext)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        if (parameter.Default is null)
        {
            return new PublishedParameter(parameter, null, null);
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            parameter.Default.WriteToManifest(new ManifestPublishingContext(executionContext, "aspire-manifest.json", writer, CancellationToken.None));
            writer.WriteEndObject();
        }

        var manifest = JsonDocument.Parse(buffer.ToArray()).RootElement;
        if (manifest.TryGetProperty("generate", out var generate))
        {
            var settings = new GenerateParameterDefault();
            foreach (var property in generate.EnumerateObject())
            {
                switch (property.Name)
                {
                    case "minLength": settings.MinLength = property.Value.GetInt32(); break;
                    case "lower": settings.Lower = property.Value.GetBoolean(); break;
                    case "upper": settings.Upper = property.Value.GetBoolean(); break;
                    case "numeric": settings.Numeric = property.Value.GetBoolean(); break;
                    case "special": settings.Special = property.Value.GetBoolean(); break;
                    case "minLower": settings.MinLower = property.Value.GetInt32(); break;
                    case "minUpper": settings.MinUpper = property.Value.GetInt32(); break;
                    case "minNumeric": settings.MinNumeric = property.Value.GetInt32(); break;
                    case "minSpecial": settings.MinSpecial = property.Value.GetInt32(); break;
                    default:
                        throw new DistributedApplicationException($"Parameter '{parameter.Name}' has a generated default with an unknown setting '{property.Name}'.");
                }
            }

            return new PublishedParameter(parameter, settings, null);
        }

        return new PublishedParameter(parameter, null, manifest.TryGetProperty("value", out var value) ? value.GetString() : null);
    }
}
