using Platform.Hosting.ApplicationModel;
using System.Text.Json;

namespace Platform.Hosting.Publishing.Tests;

/// <summary>The three outputs follow the model: a new project and a replica count show up in each.</summary>
public sealed class ModelChangeTests(Tools tools) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("publishing-change-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private async Task PublishAsync(string publisher, string output, bool changed)
    {
        var builder = SampleModel.Create(publisher, output, syncReplicas: changed ? 4 : 2);
        if (changed)
        {
            var redis = builder.CreateResourceBuilder((RedisResource)builder.Resources["redis"]);
            builder.AddProject("audit", SampleModel.ProjectPath("Audit.Worker")).WithReference(redis).WaitFor(redis);
        }

        await SampleModel.PublishAsync(builder);
    }

    [Fact]
    public async Task ANewProjectAndAReplicaCountChangeAllThreeOutputs()
    {
        foreach (var changed in new[] { false, true })
        {
            var dir = Path.Combine(_directory, changed ? "changed" : "original");
            await PublishAsync("manifest", Path.Combine(dir, "aspire-manifest.json"), changed);
            await PublishAsync("helm", Path.Combine(dir, "helm"), changed);
            await PublishAsync("compose", Path.Combine(dir, "compose"), changed);
        }

        // Manifest: the new project with its reference.
        JsonElement Manifest(string which) => JsonDocument.Parse(File.ReadAllText(Path.Combine(_directory, which, "aspire-manifest.json"))).RootElement.GetProperty("resources");
        Assert.False(Manifest("original").TryGetProperty("audit", out _));
        Assert.Equal("{redis.connectionString}", Manifest("changed").GetProperty("audit").GetProperty("env").GetProperty("ConnectionStrings__redis").GetString());
        var validation = await Tools.ValidateAsync("manifest", Tools.ManifestSchema, Path.Combine(_directory, "changed", "aspire-manifest.json"));
        Assert.True(validation.ExitCode == 0, validation.ToString());

        // Helm: a Deployment for the new project, four sync-api replicas; still lints.
        async Task<JsonElement> Rendered(string which)
        {
            var template = await tools.HelmAsync("template", "platform", Path.Combine(_directory, which, "helm"));
            Assert.True(template.ExitCode == 0, template.ToString());
            var path = Path.Combine(_directory, which, "rendered.yaml");
            await File.WriteAllTextAsync(path, template.Output, TestContext.Current.CancellationToken);
            return await Tools.YamlToJsonAsync(path);
        }

        static int Replicas(JsonElement rendered, string name) => rendered.EnumerateArray()
            .Single(o => o.GetProperty("metadata").GetProperty("name").GetString() == name).GetProperty("spec").GetProperty("replicas").GetInt32();
        var original = await Rendered("original");
        var changedChart = await Rendered("changed");
        Assert.Equal(2, Replicas(original, "sync-api-deployment"));
        Assert.Equal(4, Replicas(changedChart, "sync-api-deployment"));
        Assert.DoesNotContain(original.EnumerateArray(), o => o.GetProperty("metadata").GetProperty("name").GetString() == "audit-deployment");
        Assert.Equal(1, Replicas(changedChart, "audit-deployment"));
        var lint = await tools.HelmAsync("lint", "--strict", Path.Combine(_directory, "changed", "helm"));
        Assert.True(lint.ExitCode == 0, lint.ToString());

        // Compose: the new service waits for Redis; sync-api runs four replicas.
        JsonElement Compose(string which) => JsonDocument.Parse((Tools.YamlToJsonAsync(Path.Combine(_directory, which, "compose", "docker-compose.yaml")).GetAwaiter().GetResult())[0].GetRawText()).RootElement.GetProperty("services");
        Assert.False(Compose("original").TryGetProperty("audit", out _));
        Assert.Equal("service_healthy", Compose("changed").GetProperty("audit").GetProperty("depends_on").GetProperty("redis-sentinel").GetProperty("condition").GetString());
        Assert.Equal(4, Compose("changed").GetProperty("sync-api").GetProperty("deploy").GetProperty("replicas").GetInt32());
        Assert.Contains("AUDIT_IMAGE=audit:latest", await File.ReadAllTextAsync(Path.Combine(_directory, "changed", "compose", ".env"), TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnExecutableCannotBePublishedAndTheErrorSaysWhy()
    {
        var builder = SampleModel.Create("manifest", Path.Combine(_directory, "m.json"));
        builder.AddExecutable("tool", "/bin/true", ".");
        var error = await Assert.ThrowsAsync<DistributedApplicationException>(() => SampleModel.PublishAsync(builder));
        Assert.Contains("'tool' is an executable", error.Message, StringComparison.Ordinal);
        Assert.Contains("executable.v0", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_directory, "m.json")));
    }

    [Fact]
    public async Task AnUnknownPublisherIsAnError()
    {
        var error = await Assert.ThrowsAsync<DistributedApplicationException>(() => SampleModel.PublishAsync(SampleModel.Create("kustomize", _directory)));
        Assert.Contains("kustomize", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PublishedNamesThatCollideAreRejected()
    {
        var builder = SampleModel.Create("compose", _directory);
        builder.AddParameter("redis-1");
        var error = await Assert.ThrowsAsync<DistributedApplicationException>(() => SampleModel.PublishAsync(builder));
        Assert.Contains("'redis-1'", error.Message, StringComparison.Ordinal);
    }
}
