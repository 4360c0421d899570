using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Platform.Hosting.Publishing;

/// <summary>An ordered YAML mapping.</summary>
internal sealed class YMap : List<KeyValuePair<string, object?>>
{
    public void Add(string key, object? value) => Add(new KeyValuePair<string, object?>(key, value));

    /// <summary>A line written as is at the mapping's indentation (a Helm template directive or <c>key: {{ … }}</c>).</summary>
    public void AddRaw(string line) => Add(new KeyValuePair<string, object?>(string.Empty, new YRaw(line)));
}

/// <summary>Text written without quoting (Helm template expressions).</summary>
internal sealed record YRaw(string Text);

/// <summary>
/// A small YAML emitter for the publishers' outputs: block mappings and sequences, every string double-quoted (JSON
/// escapes are valid YAML), so no value is ever read back as a number, boolean or null by mistake.
/// </summary>
internal static class Yaml
{
    private static readonly JsonSerializerOptions Quoting = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Write(object? node, string? header = null)
    {
        var sb = new StringBuilder();
        if (header is not null)
        {
            sb.Append(header).Append('\n');
        }

        WriteBlock(sb, node, 0);
        return sb.ToString();
    }

    public static string Quote(string text) => JsonSerializer.Serialize(text, Quoting);

    private static string Scalar(object? value) => value switch
    {
        null => "null",
        string s => Quote(s),
        bool b => b ? "true" : "false",
        YRaw r => r.Text,
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => Quote(value.ToString() ?? string.Empty),
    };

    private static bool IsEmptyCollection(object? value) => value is YMap { Count: 0 } or List<object?> { Count: 0 };

    private static void WriteBlock(StringBuilder sb, object? node, int indent)
    {
        var pad = new string(' ', indent);
        switch (node)
        {
            case YMap map:
                foreach (var (key, value) in map)
                {
                    if (key.Length == 0 && value is YRaw raw)
                    {
                        sb.Append(pad).Append(raw.Text).Append('\n');
                    }
                    else if (value is YMap or List<object?> && !IsEmptyCollection(value))
                    {
                        sb.Append(pad).Append(Key(key)).Append(":\n");
                        WriteBlock(sb, value, value is List<object?> ? indent : indent + 2);
                    }
                    else
                    {
                        sb.Append(pad).Append(Key(key)).Append(": ").Append(value switch { YMap => "{}", List<object?> => "[]", _ => Scalar(value) }).Append('\n');
                    }
                }

                break;
            case List<object?> list:
                foreach (var item in list)
                {
                    if (item is YMap or List<object?> && !IsEmptyCollection(item))
                    {
                        // The first line of the item goes after the dash; the rest lines up under it.
                        var inner = new StringBuilder();
                        WriteBlock(inner, item, indent + 2);
                        var text = inner.ToString();
                        sb.Append(pad).Append("- ").Append(text.AsSpan(indent + 2));
                    }
                    else
                    {
                        sb.Append(pad).Append("- ").Append(item switch { YMap => "{}", List<object?> => "[]", _ => Scalar(item) }).Append('\n');
                    }
                }

                break;
            default:
                sb.Append(pad).Append(Scalar(node)).Append('\n');
                break;
        }
    }

    /// <summary>Keys made only of safe characters stay plain (as kubectl writes them); others are quoted.</summary>
    private static string Key(string key) =>
        key.Length > 0 && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or '/') && !char.IsAsciiDigit(key[0])
        && key is not ("true" or "false" or "null" or "yes" or "no" or "on" or "off" or "y" or "n")
            ? key
            : Quote(key);
}
