using System.Text;
using System.Text.Json;

namespace Platform.Hosting.Publishing.Tests;

/// <summary>docker-compose.yaml and .env as Compose reads them: the file's values interpolated from .env.</summary>
public sealed class ComposeOutput(JsonElement file, IReadOnlyDictionary<string, string> env, string text)
{
    public JsonElement File { get; } = file;

    /// <summary>The .env variables, unquoted.</summary>
    public IReadOnlyDictionary<string, string> Env { get; } = env;

    public string Text { get; } = text;

    public static async Task<ComposeOutput> ReadAsync(string directory)
    {
        var path = Path.Combine(directory, "docker-compose.yaml");
        var file = (await Tools.YamlDocumentsAsync(path))[0];
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in await System.IO.File.ReadAllLinesAsync(Path.Combine(directory, ".env"), Tools.Cancellation))
        {
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var eq = line.IndexOf('=', StringComparison.Ordinal);
            var value = line[(eq + 1)..];
            env[line[..eq]] = value.Length >= 2 && value[0] == '\'' && value[^1] == '\'' ? value[1..^1] : value;
        }

        return new ComposeOutput(file, env, await System.IO.File.ReadAllTextAsync(path, Tools.Cancellation));
    }

    public JsonElement Services => File.GetProperty("services");

    public JsonElement Service(string name) => Services.TryGetProperty(name, out var service)
        ? service
        : throw new Xunit.Sdk.XunitException($"docker-compose.yaml has no service '{name}'.");

    public Dictionary<string, string> Environment(string service) =>
        Service(service).TryGetProperty("environment", out var environment)
            ? environment.EnumerateObject().ToDictionary(p => p.Name, p => Interpolate(p.Value.GetString()!), StringComparer.Ordinal)
            : [];

    /// <summary>The container's command line: entrypoint, then command, interpolated.</summary>
    public IReadOnlyList<string> CommandLine(string service)
    {
        var line = new List<string>();
        foreach (var part in new[] { "entrypoint", "command" })
        {
            if (Service(service).TryGetProperty(part, out var items))
            {
                line.AddRange(items.EnumerateArray().Select(i => Interpolate(i.GetString()!)));
            }
        }

        return line;
    }

    /// <summary>
    /// Compose's interpolation: <c>$$</c> is a literal <c>$</c>; <c>${NAME}</c>, <c>${NAME:?message}</c> and
    /// <c>$NAME</c> are variables from .env (a missing one with <c>:?</c> is an error, as in Compose).
    /// </summary>
    public string Interpolate(string text)
    {
        var output = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '$' || i + 1 == text.Length)
            {
                output.Append(text[i]);
            }
            else if (text[i + 1] == '$')
            {
                output.Append('$');
                i++;
            }
            else if (text[i + 1] == '{')
            {
                var end = text.IndexOf('}', i);
                var expression = text[(i + 2)..end];
                var name = expression.Split(':')[0];
                if (!Env.TryGetValue(name, out var value) || value.Length == 0)
                {
                    Assert.False(expression.Contains(":?", StringComparison.Ordinal), $"Compose would stop: {expression}");
                    value = string.Empty;
                }

                output.Append(value);
                i = end;
            }
            else
            {
                var end = i + 1;
                while (end < text.Length && (char.IsAsciiLetterOrDigit(text[end]) || text[end] == '_'))
                {
                    end++;
                }

                output.Append(Env.GetValueOrDefault(text[(i + 1)..end], string.Empty));
                i = end - 1;
            }
        }

        return output.ToString();
    }
}
