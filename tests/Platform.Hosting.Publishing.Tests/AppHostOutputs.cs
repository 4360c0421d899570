using System.Text.Json;

[assembly: AssemblyFixture(typeof(Platform.Hosting.Publishing.Tests.AppHostOutputs))]

namespace Platform.Hosting.Publishing.Tests;

/// <summary>
/// The real AppHost run once per publisher, as <c>./platform publish</c> and azd run it
/// (<c>dotnet AppHost.dll --publisher manifest|helm|compose --output-path …</c>), and the chart rendered by
/// <c>helm template</c>. Shared by the tests that read the outputs.
/// </summary>
public sealed class AppHostOutputs : IAsyncLifetime
{
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("publishing-apphost-").FullName;

    public string ManifestPath => Path.Combine(Directory, "manifest", "aspire-manifest.json");

    public string ChartDirectory => Path.Combine(Directory, "helm");

    public string ComposeDirectory => Path.Combine(Directory, "compose");

    public string ComposePath => Path.Combine(ComposeDirectory, "docker-compose.yaml");

    public string EnvPath => Path.Combine(ComposeDirectory, ".env");

    public string RenderedPath => Path.Combine(Directory, "rendered.yaml");

    public JsonElement Manifest { get; private set; }

    /// <summary>Every object <c>helm template</c> rendered.</summary>
    public RenderedChart Chart { get; private set; } = null!;

    public ComposeOutput Compose { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        await PublishAsync("manifest", ManifestPath);
        await PublishAsync("helm", ChartDirectory);
        await PublishAsync("compose", ComposeDirectory);
        Manifest = JsonDocument.Parse(await File.ReadAllTextAsync(ManifestPath, Tools.Cancellation)).RootElement;
        Chart = await RenderedChart.RenderAsync(ChartDirectory, RenderedPath);
        Compose = await ComposeOutput.ReadAsync(ComposeDirectory);
    }

    public ValueTask DisposeAsync()
    {
        System.IO.Directory.Delete(Directory, recursive: true);
        return ValueTask.CompletedTask;
    }

    /// <summary>Runs the built AppHost with <c>--publisher</c>; it must exit 0.</summary>
    public static async Task<ProcessResult> RunAppHostAsync(params string[] args)
    {
        Assert.True(File.Exists(Tools.AppHostDll), $"{Tools.AppHostDll} is not built");
        return await Tools.RunAsync("dotnet", [Tools.AppHostDll, .. args], Path.GetDirectoryName(Tools.AppHostDll)!, TimeSpan.FromSeconds(120),
            new Dictionary<string, string> { ["DOTNET_ENVIRONMENT"] = "Production" });
    }

    private static async Task PublishAsync(string publisher, string output)
    {
        var result = await RunAppHostAsync("--publisher", publisher, "--output-path", output);
        Assert.True(result.ExitCode == 0, $"--publisher {publisher}: {result}");
    }
}

/// <summary>The objects of a rendered chart.</summary>
public sealed class RenderedChart(JsonElement objects, string text)
{
    public JsonElement Objects { get; } = objects;

    public string Text { get; } = text;

    public static async Task<RenderedChart> RenderAsync(string chart, string renderedPath, params string[] extra)
    {
        var template = await Tools.HelmAsync(["template", "platform", chart, .. extra]);
        Assert.True(template.ExitCode == 0, template.ToString());
        await File.WriteAllTextAsync(renderedPath, template.Output, Tools.Cancellation);
        return new RenderedChart(await Tools.YamlDocumentsAsync(renderedPath), template.Output);
    }

    public IEnumerable<JsonElement> OfKind(string kind) => Objects.EnumerateArray().Where(o => o.GetProperty("kind").GetString() == kind);

    public JsonElement Get(string kind, string name) =>
        OfKind(kind).SingleOrDefault(o => o.GetProperty("metadata").GetProperty("name").GetString() == name) is { ValueKind: JsonValueKind.Object } found
            ? found
            : throw new Xunit.Sdk.XunitException($"helm template rendered no {kind} named {name}.");

    public bool Has(string kind, string name) => OfKind(kind).Any(o => o.GetProperty("metadata").GetProperty("name").GetString() == name);

    public static JsonElement PodSpec(JsonElement workload) => workload.GetProperty("spec").GetProperty("template").GetProperty("spec");

    public static JsonElement Container(JsonElement workload) => PodSpec(workload).GetProperty("containers")[0];

    /// <summary>A Secret's values, decoded.</summary>
    public IReadOnlyDictionary<string, string> SecretData(string name) =>
        Get("Secret", name).GetProperty("data").EnumerateObject()
            .ToDictionary(p => p.Name, p => System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(p.Value.GetString()!)));

    /// <summary>
    /// The environment the kubelet gives a workload's container: its ConfigMaps (envFrom), then its env entries in
    /// order, each from a Secret, a ConfigMap or a value with <c>$(VAR)</c> references to earlier ones expanded.
    /// </summary>
    public Dictionary<string, string> Environment(JsonElement workload)
    {
        var container = Container(workload);
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        if (container.TryGetProperty("envFrom", out var envFrom))
        {
            foreach (var source in envFrom.EnumerateArray())
            {
                var map = Get("ConfigMap", source.GetProperty("configMapRef").GetProperty("name").GetString()!);
                if (map.TryGetProperty("data", out var data))
                {
                    foreach (var entry in data.EnumerateObject())
                    {
                        env[entry.Name] = entry.Value.GetString()!;
                    }
                }
            }
        }

        if (container.TryGetProperty("env", out var entries))
        {
            foreach (var entry in entries.EnumerateArray())
            {
                var name = entry.GetProperty("name").GetString()!;
                if (entry.TryGetProperty("value", out var value))
                {
                    env[name] = KubeletExpansion.Expand(value.GetString()!, env);
                }
                else if (entry.GetProperty("valueFrom").TryGetProperty("secretKeyRef", out var secret))
                {
                    env[name] = SecretData(secret.GetProperty("name").GetString()!)[secret.GetProperty("key").GetString()!];
                }
                else
                {
                    var reference = entry.GetProperty("valueFrom").GetProperty("configMapKeyRef");
                    env[name] = Get("ConfigMap", reference.GetProperty("name").GetString()!).GetProperty("data").GetProperty(reference.GetProperty("key").GetString()!).GetString()!;
                }
            }
        }

        return env;
    }

    /// <summary>The command line the kubelet starts: command and args, expanded against the environment.</summary>
    public IReadOnlyList<string> CommandLine(JsonElement workload)
    {
        var container = Container(workload);
        var env = Environment(workload);
        var line = new List<string>();
        foreach (var part in new[] { "command", "args" })
        {
            if (container.TryGetProperty(part, out var items))
            {
                line.AddRange(items.EnumerateArray().Select(i => KubeletExpansion.Expand(i.GetString()!, env)));
            }
        }

        return line;
    }
}

/// <summary>
/// The kubelet's expansion of command, args and env values: <c>$(NAME)</c> is the variable when it is defined (else
/// left as is), <c>$$</c> is a literal <c>$</c>, any other <c>$</c> stays.
/// </summary>
public static class KubeletExpansion
{
    public static string Expand(string text, IReadOnlyDictionary<string, string> env)
    {
        var output = new System.Text.StringBuilder();
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
            else if (text[i + 1] == '(' && text.IndexOf(')', i) is var end and > 0 && env.TryGetValue(text[(i + 2)..end], out var value))
            {
                output.Append(value);
                i = end;
            }
            else
            {
                output.Append('$');
            }
        }

        return output.ToString();
    }
}
