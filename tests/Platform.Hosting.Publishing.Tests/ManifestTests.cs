using System.Text.Json;
using System.Text.RegularExpressions;

namespace Platform.Hosting.Publishing.Tests;

/// <summary>The manifest the real AppHost writes with <c>--publisher manifest</c> (Aspire's own publisher), as azd reads it.</summary>
public sealed partial class ManifestTests(AppHostOutputs outputs)
{
    /// <summary>The resource types azd deploys (besides Azure and Dapr ones, which the model has none of).</summary>
    private static readonly string[] AzdTypes = ["project.v0", "project.v1", "container.v0", "container.v1", "dockerfile.v0", "parameter.v0", "value.v0"];

    private JsonElement Resources => outputs.Manifest.GetProperty("resources");

    private JsonElement Resource(string name) => Resources.TryGetProperty(name, out var resource)
        ? resource
        : throw new Xunit.Sdk.XunitException($"The manifest has no resource '{name}'.");

    [Fact]
    public async Task TheManifestValidatesAgainstTheAspireManifestSchema()
    {
        var result = await Tools.ValidateSchemaAsync(Tools.ManifestSchema, outputs.ManifestPath);
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    [Fact]
    public void EveryResourceIsOfATypeAzdAccepts()
    {
        foreach (var resource in Resources.EnumerateObject())
        {
            Assert.True(AzdTypes.Contains(resource.Value.GetProperty("type").GetString()), $"{resource.Name} is of type {resource.Value.GetProperty("type")}");
        }
    }

    [Fact]
    public void PublishedProjectsKeepTheRuntimesDefaultTiering()
    {
        var projects = Resources.EnumerateObject().Where(r => r.Value.GetProperty("type").GetString()!.StartsWith("project.", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, projects.Count);
        foreach (var project in projects)
        {
            Assert.False(project.Value.GetProperty("env").TryGetProperty("DOTNET_TC_CallCountingDelayMs", out _), $"{project.Name} defers tiering when published");
        }
    }

    [Fact]
    public void RedisNodesSentinelsAndPostgresAreContainersThatReadTheirPasswordFromASecretParameter()
    {
        foreach (var name in new[] { "redis-0", "redis-1", "redis-sentinel-0", "redis-sentinel-1", "redis-sentinel-2" })
        {
            var container = Resource(name);
            Assert.Equal("container.v0", container.GetProperty("type").GetString());
            Assert.Equal("docker.io/library/redis:7.4", container.GetProperty("image").GetString());
            Assert.Equal("/bin/sh", container.GetProperty("entrypoint").GetString());
            Assert.Equal("{redis-password.value}", container.GetProperty("env").GetProperty("REDIS_PASSWORD").GetString());
            Assert.Contains("$REDIS_PASSWORD", container.GetProperty("args")[1].GetString(), StringComparison.Ordinal);
        }

        var postgres = Resource("postgres");
        Assert.Equal("container.v0", postgres.GetProperty("type").GetString());
        Assert.StartsWith("docker.io/library/postgres:", postgres.GetProperty("image").GetString(), StringComparison.Ordinal);
        Assert.Equal("{postgres-password.value}", postgres.GetProperty("env").GetProperty("POSTGRES_PASSWORD").GetString());

        // The Sentinel-form connection string clients use, built from references only.
        Assert.Equal("value.v0", Resource("redis").GetProperty("type").GetString());
        Assert.Equal(
            "{redis-sentinel-0.bindings.tcp.host}:{redis-sentinel-0.bindings.tcp.port},{redis-sentinel-1.bindings.tcp.host}:{redis-sentinel-1.bindings.tcp.port},{redis-sentinel-2.bindings.tcp.host}:{redis-sentinel-2.bindings.tcp.port},password={redis-password.value},serviceName=mymaster",
            Resource("redis").GetProperty("connectionString").GetString());
    }

    [Fact]
    public void EverySecretIsAGeneratedSecretParameterAndNoPasswordIsWrittenOut()
    {
        foreach (var name in new[] { "redis-password", "postgres-password" })
        {
            var parameter = Resource(name);
            Assert.Equal("parameter.v0", parameter.GetProperty("type").GetString());
            var input = parameter.GetProperty("inputs").GetProperty("value");
            Assert.True(input.GetProperty("secret").GetBoolean());
            Assert.True(input.GetProperty("default").GetProperty("generate").GetProperty("minLength").GetInt32() >= 22);
        }

        // Wherever a password goes, it goes as a parameter reference.
        foreach (var text in Strings(outputs.Manifest))
        {
            foreach (Match match in PasswordAssignment().Matches(text))
            {
                Assert.Matches(@"^\{[a-z0-9-]+\.value\}", match.Groups["value"].Value);
            }
        }

        foreach (var resource in Resources.EnumerateObject().Where(r => r.Value.TryGetProperty("env", out _)))
        {
            foreach (var variable in resource.Value.GetProperty("env").EnumerateObject().Where(v => v.Name.Contains("PASSWORD", StringComparison.OrdinalIgnoreCase)))
            {
                Assert.Matches(@"^\{[a-z0-9-]+\.value\}$", variable.Value.GetString()!);
            }
        }
    }

    private static IEnumerable<string> Strings(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().SelectMany(p => Strings(p.Value)),
        JsonValueKind.Array => element.EnumerateArray().SelectMany(Strings),
        JsonValueKind.String => [element.GetString()!],
        _ => [],
    };

    [GeneratedRegex(@"(?i)password=(?<value>[^;,]*)")]
    private static partial Regex PasswordAssignment();
}
