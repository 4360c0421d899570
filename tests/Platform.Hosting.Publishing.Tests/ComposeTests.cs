using System.Text.Json;

namespace Platform.Hosting.Publishing.Tests;

public sealed class ComposeTests(SampleOutputs sample) : IClassFixture<SampleOutputs>
{
    private JsonElement Service(string name) => sample.Compose.GetProperty("services").GetProperty(name);

    [Fact]
    public async Task ComposeFileValidatesAgainstTheComposeSpecification()
    {
        var result = await Tools.ValidateAsync("compose", Path.Combine(sample.ComposeDirectory, "docker-compose.yaml"));
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    [Fact]
    public void DependsOnConditionsComeFromWaitFor()
    {
        var depends = Service("sync-api").GetProperty("depends_on");
        foreach (var name in new[] { "redis", "redis-1", "redis-sentinel", "redis-sentinel-1", "redis-sentinel-2", "postgres" })
        {
            Assert.Equal("service_healthy", depends.GetProperty(name).GetProperty("condition").GetString());
        }

        Assert.False(Service("web").TryGetProperty("depends_on", out _));
        Assert.Equal("service_started", Service("redis-sentinel-2").GetProperty("depends_on").GetProperty("redis").GetProperty("condition").GetString());
    }

    [Fact]
    public void EveryInfrastructureServiceAndHttpProjectHasAHealthcheck()
    {
        foreach (var name in new[] { "redis", "redis-1", "redis-sentinel", "postgres", "sync-api", "bets-api" })
        {
            Assert.True(Service(name).GetProperty("healthcheck").GetProperty("test").GetArrayLength() >= 2, name);
        }

        Assert.Contains("/health", Service("sync-api").GetProperty("healthcheck").GetProperty("test")[3].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ProjectsUseImagesFromEnvAndTheirWiring()
    {
        var sync = Service("sync-api");
        Assert.Equal("${SYNC_API_IMAGE}", sync.GetProperty("image").GetString());
        Assert.Equal(2, sync.GetProperty("deploy").GetProperty("replicas").GetInt32());
        var env = sync.GetProperty("environment");
        Assert.Equal("redis-sentinel:26379,redis-sentinel-1:26379,redis-sentinel-2:26379,password=${REDIS_PASSWORD},serviceName=mymaster", env.GetProperty("ConnectionStrings__redis").GetString());
        Assert.Equal("Host=postgres;Port=5432;Username=postgres;Password=${POSTGRES_PASSWORD};Database=syncdb", env.GetProperty("ConnectionStrings__syncdb").GetString());
        Assert.Equal("http://dashboard:18889", env.GetProperty("OTEL_EXPORTER_OTLP_ENDPOINT").GetString());
        Assert.Equal("http://sync-api:8080", Service("web").GetProperty("environment").GetProperty("services__sync-api__http__0").GetString());
        Assert.Equal("${WEB_HTTP_PORT}:8080", Service("web").GetProperty("ports")[0].GetString());
        Assert.Equal("bets-api-data:/data", Service("bets-api").GetProperty("volumes")[0].GetString());
    }

    [Fact]
    public async Task EnvFileHasGeneratedSecretsThatSurviveRepublishing()
    {
        var envPath = Path.Combine(sample.ComposeDirectory, ".env");
        var before = ComposePublisher.ReadEnvFile(await File.ReadAllLinesAsync(envPath, TestContext.Current.CancellationToken));
        Assert.Equal(22, before["REDIS_PASSWORD"].Length);
        Assert.Equal("sync-api:latest", before["SYNC_API_IMAGE"]);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(envPath));

        var copy = Directory.CreateTempSubdirectory("publishing-compose-").FullName;
        try
        {
            File.Copy(envPath, Path.Combine(copy, ".env"));
            await SampleModel.PublishAsync(SampleModel.Create("compose", copy));
            var after = ComposePublisher.ReadEnvFile(await File.ReadAllLinesAsync(Path.Combine(copy, ".env"), TestContext.Current.CancellationToken));
            Assert.Equal(before["REDIS_PASSWORD"], after["REDIS_PASSWORD"]);
            Assert.Equal(before["POSTGRES_PASSWORD"], after["POSTGRES_PASSWORD"]);
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }
}
