namespace Platform.Hosting.Publishing.Model;

/// <summary>
/// A value as a deployment target sees it: literal text and references to parameters, which each target writes its
/// own way (a Kubernetes <c>$(VAR)</c> backed by a Secret, a Compose <c>${VAR}</c> from <c>.env</c>). Hosts and ports
/// are already text: a resource is reached by its name (the Service or Compose service) at its target port.
/// </summary>
internal sealed record PublishedValue(IReadOnlyList<ValuePart> Parts)
{
    public static PublishedValue FromText(string text) => new([new TextPart(text)]);

    public bool HasParameters => Parts.Any(p => p is ParameterPart);

    /// <summary>The parameter this value is, unformatted and alone, or null.</summary>
    public PublishedParameter? AsParameter => Parts is [ParameterPart { UriEncoded: false } part] ? part.Parameter : null;

    /// <summary>The value without parameters; throws when it has any.</summary>
    public string Text => HasParameters
        ? throw new InvalidOperationException("The value references parameters.")
        : string.Concat(Parts.Cast<TextPart>().Select(p => p.Text));

    public string Render(Func<string, string> literal, Func<ParameterPart, string> parameter) =>
        string.Concat(Parts.Select(p => p switch
        {
            TextPart t => literal(t.Text),
            ParameterPart r => parameter(r),
            _ => throw new InvalidOperationException($"Unknown value part {p.GetType().Name}."),
        }));
}

internal abstract record ValuePart;

internal sealed record TextPart(string Text) : ValuePart;

/// <summary>A parameter's value, URI-encoded when the model asked for the <c>uri</c> format (a password in a URL).</summary>
internal sealed record ParameterPart(PublishedParameter Parameter, bool UriEncoded) : ValuePart;
