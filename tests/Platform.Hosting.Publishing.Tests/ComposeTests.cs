namespace Platform.Hosting.Publishing.Tests;

/// <summary>The docker-compose.yaml and .env the real AppHost writes with <c>--publisher compose</c>.</summary>
public sealed class ComposeTests(AppHostOutputs outputs)
{
    private ComposeOutput Compose => outputs.Compose;

    private string Condition(string service, string dependency) =>
        Compose.Service(service).GetProperty("depends_on").GetProperty(dependency).GetProperty("condition").GetString()!;

    [Fact]
    public async Task TheComposeFileValidatesAgainstTheComposeSpecification()
    {
        var result = await Tools.ValidateSchemaAsync(Tools.ComposeSchema, outputs.ComposePath);
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    [Fact]
    public void EveryComputeResourceIsAServiceNamedAfterIt()
    {
        var compute = outputs.Manifest.GetProperty("resources").EnumerateObject()
            .Where(r => r.Value.GetProperty("type").GetString() is "container.v0" or "project.v0").Select(r => r.Name);
        var services = Compose.Services.EnumerateObject().Select(s => s.Name).ToList();
        Assert.Equal(["dashboard", .. compute], services.Where(s => s != "bets-api-volumes"));
        Assert.Equal(services.IndexOf("bets-api") + 1, services.IndexOf("bets-api-volumes"));
    }

    [Fact]
    public void RedisServicesRunTheManifestsStartScriptsAndSentinelsStartAfterTheNodes()
    {
        foreach (var name in new[] { "redis-0", "redis-1", "redis-sentinel-0", "redis-sentinel-1", "redis-sentinel-2" })
        {
            var manifest = outputs.Manifest.GetProperty("resources").GetProperty(name);
            string[] expected = [manifest.GetProperty("entrypoint").GetString()!, .. manifest.GetProperty("args").EnumerateArray().Select(a => a.GetString()!)];
            Assert.Equal(expected, Compose.CommandLine(name));
            Assert.Equal(Compose.Env["REDIS_PASSWORD"], Compose.Environment(name)["REDIS_PASSWORD"]);
        }

        foreach (var sentinel in new[] { "redis-sentinel-0", "redis-sentinel-1", "redis-sentinel-2" })
        {
            Assert.Equal("service_started", Condition(sentinel, "redis-0"));
            Assert.Equal("service_started", Condition(sentinel, "redis-1"));
        }

        Assert.Equal("service_started", Condition("redis-1", "redis-0"));
        Assert.Equal(["redis-0-data:/data"], Compose.Service("redis-0").GetProperty("volumes").EnumerateArray().Select(v => v.GetString()));
    }

    [Fact]
    public void ProjectsWaitForWhatTheModelWaitsForAndReplicasAndVolumesFollowTheModel()
    {
        foreach (var sentinel in new[] { "redis-sentinel-0", "redis-sentinel-1", "redis-sentinel-2" })
        {
            Assert.Equal("service_healthy", Condition("sync-api", sentinel));
        }

        // Sync.Api starts beside PostgreSQL: its migration retries until the database is there.
        Assert.False(Compose.Service("sync-api").GetProperty("depends_on").TryGetProperty("postgres", out _));
        Assert.Equal("service_healthy", Condition("bets-api", "redis-sentinel-0"));
        Assert.False(Compose.Service("bets-api").GetProperty("depends_on").TryGetProperty("prices-ingest", out _));
        // The model's web waits for nothing: its proxy answers 502 until the APIs are up.
        Assert.False(Compose.Service("web").TryGetProperty("depends_on", out _));

        Assert.Equal(2, Compose.Service("sync-api").GetProperty("deploy").GetProperty("replicas").GetInt32());
        Assert.False(Compose.Service("web").TryGetProperty("deploy", out _));
        Assert.Equal(["bets-api-data:/data"], Compose.Service("bets-api").GetProperty("volumes").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(["8080:8080"], Compose.Service("web").GetProperty("ports").EnumerateArray().Select(p => Compose.Interpolate(p.GetString()!)));
        Assert.Equal("sync-api:latest", Compose.Interpolate(Compose.Service("sync-api").GetProperty("image").GetString()!));
    }

    [Fact]
    public void BetsApiStartsOnceItsVolumeBelongsToTheUserItsImageRunsAs()
    {
        Assert.Equal("service_completed_successfully", Condition("bets-api", "bets-api-volumes"));
        var owner = Compose.Service("bets-api-volumes");
        Assert.Equal(Compose.Service("bets-api").GetProperty("image").GetString(), owner.GetProperty("image").GetString());
        Assert.Equal("root", owner.GetProperty("user").GetString());
        Assert.Equal(["/bin/sh", "-c", "chown -R 1654:1654 /data"], owner.GetProperty("entrypoint").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["bets-api-data:/data"], owner.GetProperty("volumes").EnumerateArray().Select(v => v.GetString()));
    }

    [Fact]
    public void ProjectHealthchecksAskHealthAndPostgresCreatesTheModelsDatabase()
    {
        foreach (var project in new[] { "prices-ingest", "bets-api", "sync-api", "web" })
        {
            var test = Compose.Service(project).GetProperty("healthcheck").GetProperty("test").EnumerateArray().Select(t => t.GetString()).ToList();
            Assert.Equal(["CMD", "bash", "-c"], test.Take(3));
            Assert.Contains("GET /health HTTP/1.0", test[3], StringComparison.Ordinal);
        }

        var config = Compose.Service("postgres").GetProperty("configs")[0];
        Assert.Equal("/docker-entrypoint-initdb.d/syncdb.sql", config.GetProperty("target").GetString());
        Assert.Equal("CREATE DATABASE \"syncdb\";\n",
            Compose.File.GetProperty("configs").GetProperty(config.GetProperty("source").GetString()!).GetProperty("content").GetString());
    }

    [Fact]
    public void ConnectionStringsTakeTheSecretsFromDotEnvAndTheFileHoldsNone()
    {
        var sync = Compose.Environment("sync-api");
        Assert.Equal($"redis-sentinel-0:26379,redis-sentinel-1:26379,redis-sentinel-2:26379,password={Compose.Env["REDIS_PASSWORD"]},serviceName=mymaster", sync["ConnectionStrings__redis"]);
        Assert.Equal($"Host=postgres;Port=5432;Username=postgres;Password={Compose.Env["POSTGRES_PASSWORD"]};Database=syncdb", sync["ConnectionStrings__syncdb"]);
        Assert.Equal("http://dashboard:18889", sync["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        Assert.DoesNotContain(Compose.Env["REDIS_PASSWORD"], Compose.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(Compose.Env["POSTGRES_PASSWORD"], Compose.Text, StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(outputs.EnvPath));
    }

    [Fact]
    public async Task PublishingAgainKeepsTheGeneratedSecretsInDotEnv()
    {
        var directory = Directory.CreateTempSubdirectory("publishing-compose-again-").FullName;
        try
        {
            File.Copy(outputs.EnvPath, Path.Combine(directory, ".env"));
            var result = await AppHostOutputs.RunAppHostAsync("--publisher", "compose", "--output-path", directory);
            Assert.True(result.ExitCode == 0, result.ToString());
            var again = await ComposeOutput.ReadAsync(directory);
            Assert.Equal(Compose.Env["REDIS_PASSWORD"], again.Env["REDIS_PASSWORD"]);
            Assert.Equal(Compose.Env["POSTGRES_PASSWORD"], again.Env["POSTGRES_PASSWORD"]);

            // A fresh directory gets fresh secrets.
            var fresh = Path.Combine(directory, "fresh");
            Assert.Equal(0, (await AppHostOutputs.RunAppHostAsync("--publisher", "compose", "--output-path", fresh)).ExitCode);
            Assert.NotEqual(Compose.Env["REDIS_PASSWORD"], (await ComposeOutput.ReadAsync(fresh)).Env["REDIS_PASSWORD"]);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
