using System.Text.Json;

[assembly: AssemblyFixture(typeof(Platform.Hosting.Publishing.Tests.Tools))]

namespace Platform.Hosting.Publishing.Tests;

/// <summary>The sample model published once by each publisher; the chart rendered with helm template.</summary>
public sealed class SampleOutputs(Tools tools) : IAsyncLifetime
{
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("publishing-sample-").FullName;

    public string ManifestPath => Path.Combine(Directory, "aspire-manifest.json");

    public string ChartDirectory => Path.Combine(Directory, "helm");

    public string ComposeDirectory => Path.Combine(Directory, "compose");

    public string RenderedPath => Path.Combine(Directory, "rendered.yaml");

    public JsonElement Manifest { get; private set; }

    public JsonElement Rendered { get; private set; }

    public JsonElement Compose { get; private set; }

    public async ValueTask InitializeAsync()
    {
        await SampleModel.PublishAsync(SampleModel.Create("manifest", ManifestPath));
        await SampleModel.PublishAsync(SampleModel.Create("helm", ChartDirectory));
        await SampleModel.PublishAsync(SampleModel.Create("compose", ComposeDirectory));
        Manifest = JsonDocument.Parse(await File.ReadAllTextAsync(ManifestPath, TestContext.Current.CancellationToken)).RootElement;
        var template = await tools.HelmAsync("template", "platform", ChartDirectory);
        Assert.True(template.ExitCode == 0, template.ToString());
        await File.WriteAllTextAsync(RenderedPath, template.Output, TestContext.Current.CancellationToken);
        Rendered = await Tools.YamlToJsonAsync(RenderedPath);
        Compose = (await Tools.YamlToJsonAsync(Path.Combine(ComposeDirectory, "docker-compose.yaml")))[0];
    }

    public ValueTask DisposeAsync()
    {
        System.IO.Directory.Delete(Directory, recursive: true);
        return ValueTask.CompletedTask;
    }

    public JsonElement Object(string kind, string name) =>
        Rendered.EnumerateArray().SingleOrDefault(o => o.GetProperty("kind").GetString() == kind && o.GetProperty("metadata").GetProperty("name").GetString() == name) is { ValueKind: JsonValueKind.Object } found
            ? found
            : throw new Xunit.Sdk.XunitException($"helm template rendered no {kind} named {name}.");
}
