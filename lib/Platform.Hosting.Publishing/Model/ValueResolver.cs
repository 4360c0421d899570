using System.Globalization;
using System.Text;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;

namespace Platform.Hosting.Publishing.Model;

/// <summary>
/// Turns what the model's environment and argument callbacks produce in publish mode (text, parameters, endpoint
/// references, connection strings, reference expressions) into a <see cref="PublishedValue"/>. Connection strings of
/// resources that are not workloads themselves (Redis with Sentinel, a database) are written out in full.
/// </summary>
internal sealed class ValueResolver(Func<ParameterResource, PublishedParameter> parameters, Func<EndpointReference, (string Host, PublishedPort Port)> endpoints)
{
    private const string UriFormat = "uri";

    public PublishedValue Resolve(object? value)
    {
        var parts = new List<ValuePart>();
        Append(parts, value, format: null);

        // Adjacent text is merged, so a value without parameters is one piece of text.
        var merged = new List<ValuePart>();
        foreach (var part in parts)
        {
            if (part is TextPart next && merged.Count > 0 && merged[^1] is TextPart previous)
            {
                merged[^1] = new TextPart(previous.Text + next.Text);
            }
            else
            {
                merged.Add(part);
            }
        }

        return new PublishedValue(merged);
    }

    private void Append(List<ValuePart> parts, object? value, string? format)
    {
        switch (value)
        {
            case null:
                break;
            case string text:
                parts.Add(new TextPart(Format(text, format)));
                break;
            case ParameterResource parameter:
                var published = parameters(parameter);
                if (format is not null)
                {
                    EnsureUri(format);
                    published.UsedUriEncoded = true;
                }

                parts.Add(new ParameterPart(published, UriEncoded: format is not null));
                break;
            case ConnectionStringReference reference:
                Append(parts, reference.ConnectionStringExpression, format);
                break;
            case IResourceWithConnectionString resource:
                Append(parts, resource.ConnectionStringExpression, format);
                break;
            case EndpointReference endpoint:
                parts.Add(new TextPart(Format(Endpoint(endpoint, EndpointProperty.Url), format)));
                break;
            case EndpointReferenceExpression expression:
                parts.Add(new TextPart(Format(Endpoint(expression.Endpoint, expression.Property), format)));
                break;
            case ReferenceExpression { IsConditional: true }:
                throw new DistributedApplicationException(
                    "A conditional reference expression cannot be published to Helm or Compose: its branch is chosen at deployment time.");
            case ReferenceExpression expression:
                AppendExpression(parts, expression, format);
                break;
            case bool flag:
                parts.Add(new TextPart(Format(flag ? "true" : "false", format)));
                break;
            case IFormattable formattable:
                parts.Add(new TextPart(Format(formattable.ToString(null, CultureInfo.InvariantCulture), format)));
                break;
            default:
                throw new DistributedApplicationException($"A value of type {value.GetType().Name} cannot be published to Helm or Compose.");
        }
    }

    /// <summary>Walks the composite format: doubled braces are literal, <c>{i}</c> is value provider i with its string format.</summary>
    private void AppendExpression(List<ValuePart> parts, ReferenceExpression expression, string? format)
    {
        var inner = new List<ValuePart>();
        var literal = new StringBuilder();
        var text = expression.Format;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c is '{' or '}' && i + 1 < text.Length && text[i + 1] == c)
            {
                literal.Append(c);
                i++;
            }
            else if (c == '{')
            {
                var end = text.IndexOf('}', i);
                var index = int.Parse(text.AsSpan(i + 1, end - i - 1), NumberStyles.None, CultureInfo.InvariantCulture);
                inner.Add(new TextPart(literal.ToString()));
                literal.Clear();
                Append(inner, expression.ValueProviders[index], expression.StringFormats[index]);
                i = end;
            }
            else
            {
                literal.Append(c);
            }
        }

        inner.Add(new TextPart(literal.ToString()));
        if (format is null)
        {
            parts.AddRange(inner);
            return;
        }

        // A format over a whole expression: only text can be encoded here.
        if (inner.Any(p => p is ParameterPart))
        {
            throw new DistributedApplicationException($"The '{format}' format over an expression that contains a parameter cannot be published.");
        }

        parts.Add(new TextPart(Format(string.Concat(inner.Cast<TextPart>().Select(p => p.Text)), format)));
    }

    private string Endpoint(EndpointReference reference, EndpointProperty property)
    {
        var (host, port) = endpoints(reference);
        var number = port.TargetPort.ToString(CultureInfo.InvariantCulture);
        return property switch
        {
            EndpointProperty.Url => $"{port.Scheme}://{host}:{number}",
            EndpointProperty.Host or EndpointProperty.IPV4Host => host,
            EndpointProperty.Port or EndpointProperty.TargetPort => number,
            EndpointProperty.HostAndPort => $"{host}:{number}",
            EndpointProperty.Scheme => port.Scheme,
            // Inside the cluster or the Compose network traffic is plain; TLS ends at the Ingress.
            EndpointProperty.TlsEnabled => bool.FalseString,
            _ => throw new DistributedApplicationException($"The endpoint property {property} of '{reference.Resource.Name}' cannot be published."),
        };
    }

    private static string Format(string text, string? format)
    {
        if (format is null)
        {
            return text;
        }

        EnsureUri(format);
        return Uri.EscapeDataString(text);
    }

    private static void EnsureUri(string format)
    {
        if (!string.Equals(format, UriFormat, StringComparison.OrdinalIgnoreCase))
        {
            throw new DistributedApplicationException($"The value format '{format}' cannot be published (only '{UriFormat}' can).");
        }
    }
}
