using System.Text.Json;

namespace Platform.Hosting.Publishing.Tests;

/// <summary>The real AppHost, run as azd runs it, for each publisher.</summary>
public sealed class AppHostTests(Tools tools) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("publishing-apphost-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private async Task<ProcessResult> RunAppHostAsync(params string[] args)
    {
        var dll = Path.Combine(Tools.RepositoryRoot, "AppHost", "bin", "Release", "net10.0", "AppHost.dll");
        Assert.True(File.Exists(dll), $"{dll} is not built");
        return await Tools.RunAsync("dotnet", [dll, .. args], _directory, TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task TheAppHostWritesAValidManifestAndExitsZero()
    {
        // azd runs: dotnet run --project AppHost -- --publisher manifest --output-path <file>
        var result = await RunAppHostAsync("--publisher", "manifest", "--output-path", "aspire-manifest.json");
        Assert.True(result.ExitCode == 0, result.ToString());
        var path = Path.Combine(_directory, "aspire-manifest.json");
        var validation = await Tools.ValidateAsync("manifest", Tools.ManifestSchema, path);
        Assert.True(validation.ExitCode == 0, validation.ToString());
        var resources = JsonDocument.Parse(await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken)).RootElement.GetProperty("resources");
        foreach (var name in new[] { "redis", "redis-sentinel", "postgres", "syncdb", "redis-password", "postgres-password" })
        {
            Assert.True(resources.TryGetProperty(name, out _), $"the manifest has no '{name}'");
        }

        Assert.DoesNotMatch(@"(?i)password=(?!\{)", await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task TheAppHostWritesAChartThatLintsRendersAndValidates()
    {
        var result = await RunAppHostAsync("--publisher", "helm", "--output-path", "chart");
        Assert.True(result.ExitCode == 0, result.ToString());
        var chart = Path.Combine(_directory, "chart");
        var lint = await tools.HelmAsync("lint", "--strict", chart);
        Assert.True(lint.ExitCode == 0, lint.ToString());
        var template = await tools.HelmAsync("template", "platform", chart);
        Assert.True(template.ExitCode == 0, template.ToString());
        var rendered = Path.Combine(_directory, "rendered.yaml");
        await File.WriteAllTextAsync(rendered, template.Output, TestContext.Current.CancellationToken);
        var validation = await Tools.ValidateAsync("kubernetes", rendered);
        Assert.True(validation.ExitCode == 0, validation.ToString());
    }

    [Fact]
    public async Task TheAppHostWritesAValidComposeFile()
    {
        var result = await RunAppHostAsync("--publisher", "compose", "--output-path", "compose");
        Assert.True(result.ExitCode == 0, result.ToString());
        var validation = await Tools.ValidateAsync("compose", Path.Combine(_directory, "compose", "docker-compose.yaml"));
        Assert.True(validation.ExitCode == 0, validation.ToString());
        Assert.True(File.Exists(Path.Combine(_directory, "compose", ".env")));
    }

    [Fact]
    public async Task PublishingWithoutAnOutputPathFailsWithAClearMessage()
    {
        var result = await RunAppHostAsync("--publisher", "manifest");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("--output-path", result.Error + result.Output, StringComparison.Ordinal);
    }
}
