using System.Text.Json;
using System.Text.RegularExpressions;

namespace Platform.Hosting.Publishing.Tests;

public sealed partial class ManifestTests(SampleOutputs sample) : IClassFixture<SampleOutputs>
{
    private static readonly string[] AzdTypes = ["project.v0", "project.v1", "container.v0", "container.v1", "dockerfile.v0", "parameter.v0", "value.v0"];

    private JsonElement Resource(string name) => sample.Manifest.GetProperty("resources").GetProperty(name);

    private string Env(string resource, string name) => Resource(resource).GetProperty("env").GetProperty(name).GetString()!;

    [Fact]
    public async Task ManifestValidatesAgainstTheAspireSchema()
    {
        var result = await Tools.ValidateAsync("manifest", Tools.ManifestSchema, sample.ManifestPath);
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    [Fact]
    public void EveryResourceHasATypeAzdAccepts()
    {
        foreach (var resource in sample.Manifest.GetProperty("resources").EnumerateObject())
        {
            Assert.Contains(resource.Value.GetProperty("type").GetString(), AzdTypes);
        }
    }

    [Fact]
    public void RedisNodesAndSentinelsAreContainersWithImagesAndTargetPorts()
    {
        foreach (var (name, port) in new[] { ("redis", 6379), ("redis-1", 6379), ("redis-sentinel", 26379), ("redis-sentinel-1", 26379), ("redis-sentinel-2", 26379), ("postgres", 5432) })
        {
            var r = Resource(name);
            Assert.Equal("container.v0", r.GetProperty("type").GetString());
            Assert.StartsWith("docker.io/library/", r.GetProperty("image").GetString(), StringComparison.Ordinal);
            Assert.Equal(port, r.GetProperty("bindings").GetProperty("tcp").GetProperty("targetPort").GetInt32());
        }

        Assert.False(sample.Manifest.GetProperty("resources").TryGetProperty("redis-2", out _));
        Assert.Equal("{redis-sentinel.bindings.tcp.host}:{redis-sentinel.bindings.tcp.port},{redis-sentinel-1.bindings.tcp.host}:{redis-sentinel-1.bindings.tcp.port},"
            + "{redis-sentinel-2.bindings.tcp.host}:{redis-sentinel-2.bindings.tcp.port},password={redis-password.value},serviceName=mymaster",
            Resource("redis").GetProperty("connectionString").GetString());
        Assert.Equal("{redis.bindings.tcp.host}", Env("redis-1", "REDIS_INITIAL_MASTER"));
        Assert.Equal("{redis-1.bindings.tcp.host}", Env("redis-1", "REDIS_SELF"));
        Assert.Equal("2", Env("redis-sentinel-2", "SENTINEL_QUORUM"));
    }

    [Fact]
    public void PostgresIsAContainerAndTheDatabaseAValue()
    {
        Assert.Equal("Host={postgres.bindings.tcp.host};Port={postgres.bindings.tcp.port};Username=postgres;Password={postgres-password.value}",
            Resource("postgres").GetProperty("connectionString").GetString());
        Assert.Equal("syncdb", Env("postgres", "POSTGRES_DB"));
        Assert.Equal("postgres-data", Resource("postgres").GetProperty("volumes")[0].GetProperty("name").GetString());
        Assert.Equal("value.v0", Resource("syncdb").GetProperty("type").GetString());
        Assert.Equal("{postgres.connectionString};Database=syncdb", Resource("syncdb").GetProperty("connectionString").GetString());
    }

    [Fact]
    public void ProjectsCarryTheirReferencesAndAspireEnvironment()
    {
        var sync = Resource("sync-api");
        Assert.Equal("project.v0", sync.GetProperty("type").GetString());
        // Relative to the manifest's folder, as azd resolves it.
        var path = sync.GetProperty("path").GetString()!;
        Assert.False(Path.IsPathRooted(path));
        Assert.Equal(SampleModel.ProjectPath("Sync.Api"), Path.GetFullPath(Path.Combine(Path.GetDirectoryName(sample.ManifestPath)!, path)));
        Assert.Equal("{redis.connectionString}", Env("sync-api", "ConnectionStrings__redis"));
        Assert.Equal("{syncdb.connectionString}", Env("sync-api", "ConnectionStrings__syncdb"));
        Assert.Equal("{sync-api.bindings.http.targetPort}", Env("sync-api", "HTTP_PORTS"));
        Assert.Equal("true", Env("sync-api", "ASPNETCORE_FORWARDEDHEADERS_ENABLED"));
        Assert.Equal("in_memory", Env("sync-api", "OTEL_DOTNET_EXPERIMENTAL_OTLP_RETRY"));
        Assert.Equal("{sync-api.bindings.http.url}", Env("web", "services__sync-api__http__0"));
        Assert.Equal("{bets-api.bindings.http.url}", Env("web", "services__bets-api__http__0"));
        Assert.False(Resource("web").GetProperty("env").TryGetProperty("ConnectionStrings__redis", out _));
        Assert.True(Resource("web").GetProperty("bindings").GetProperty("http").GetProperty("external").GetBoolean());
        Assert.False(Resource("sync-api").GetProperty("bindings").GetProperty("http").TryGetProperty("external", out _));
        Assert.Equal(8080, Resource("web").GetProperty("bindings").GetProperty("http").GetProperty("targetPort").GetInt32());
    }

    [Fact]
    public void EverySecretIsAGeneratedSecretParameter()
    {
        foreach (var name in new[] { "redis-password", "postgres-password" })
        {
            var input = Resource(name).GetProperty("inputs").GetProperty("value");
            Assert.Equal("parameter.v0", Resource(name).GetProperty("type").GetString());
            Assert.True(input.GetProperty("secret").GetBoolean());
            Assert.True(input.GetProperty("default").GetProperty("generate").GetProperty("minLength").GetInt32() >= 22);
        }
    }

    [Fact]
    public void NoPasswordIsWrittenLiterally()
    {
        var text = File.ReadAllText(sample.ManifestPath);
        Assert.DoesNotMatch(LiteralPassword(), text);
        foreach (var resource in sample.Manifest.GetProperty("resources").EnumerateObject())
        {
            if (resource.Value.TryGetProperty("env", out var env))
            {
                foreach (var variable in env.EnumerateObject().Where(v => v.Name.Contains("PASSWORD", StringComparison.Ordinal)))
                {
                    Assert.Matches(@"^\{[a-z0-9-]+\.value\}$", variable.Value.GetString()!);
                }
            }
        }
    }

    [GeneratedRegex(@"(?i)password=(?!\{)")]
    private static partial Regex LiteralPassword();
}
