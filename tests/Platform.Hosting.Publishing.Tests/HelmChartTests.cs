using System.Text.Json;

namespace Platform.Hosting.Publishing.Tests;

/// <summary>The chart the real AppHost writes with <c>--publisher helm</c>, linted and rendered by a real Helm.</summary>
public sealed class HelmChartTests(AppHostOutputs outputs)
{
    private RenderedChart Chart => outputs.Chart;

    private static string? Value(JsonElement element, params string[] path)
    {
        foreach (var key in path)
        {
            if (!element.TryGetProperty(key, out element))
            {
                return null;
            }
        }

        return element.ValueKind == JsonValueKind.String ? element.GetString() : element.GetRawText();
    }

    [Fact]
    public async Task TheChartPassesHelmLintStrict()
    {
        var lint = await Tools.HelmAsync("lint", "--strict", outputs.ChartDirectory);
        Assert.True(lint.ExitCode == 0, lint.ToString());
    }

    [Fact]
    public async Task EveryRenderedObjectValidatesAgainstTheKubernetesSchemas()
    {
        var result = await Tools.ValidateKubernetesAsync(outputs.RenderedPath);
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    [Fact]
    public void EveryContainerAndProjectOfTheModelIsAWorkloadWithAServiceOfItsName()
    {
        var compute = outputs.Manifest.GetProperty("resources").EnumerateObject()
            .Where(r => r.Value.GetProperty("type").GetString() is "container.v0" or "project.v0").Select(r => r.Name).ToList();
        Assert.Contains("redis-sentinel-2", compute);
        foreach (var name in compute)
        {
            Assert.True(Chart.Has("StatefulSet", name) ^ Chart.Has("Deployment", name), $"{name} is not exactly one StatefulSet or Deployment");
            Assert.True(Chart.Has("Service", name), $"{name} has no Service");
        }

        Assert.Equal(compute.Order(), Chart.OfKind("StatefulSet").Concat(Chart.OfKind("Deployment")).Select(o => o.GetProperty("metadata").GetProperty("name").GetString()!).Order());
    }

    [Fact]
    public void RedisNodesAndSentinelsAreStatefulSetsThatRunTheManifestsStartScripts()
    {
        foreach (var name in new[] { "redis-0", "redis-1", "redis-sentinel-0", "redis-sentinel-1", "redis-sentinel-2" })
        {
            var statefulSet = Chart.Get("StatefulSet", name);
            Assert.Equal("1", Value(statefulSet, "spec", "replicas"));

            // The kubelet starts exactly what the model says (the manifest is Aspire's rendering of the same model).
            var manifest = outputs.Manifest.GetProperty("resources").GetProperty(name);
            string[] expected = [manifest.GetProperty("entrypoint").GetString()!, .. manifest.GetProperty("args").EnumerateArray().Select(a => a.GetString()!)];
            Assert.Equal(expected, Chart.CommandLine(statefulSet));

            // Reachable by the name the scripts use, also while it is not ready yet.
            var service = Chart.Get("Service", name);
            Assert.Equal("true", Value(service, "spec", "publishNotReadyAddresses"));
            Assert.Equal(name.Contains("sentinel", StringComparison.Ordinal) ? "26379" : "6379", Value(service.GetProperty("spec").GetProperty("ports")[0], "port"));
        }

        foreach (var node in new[] { "redis-0", "redis-1" })
        {
            var statefulSet = Chart.Get("StatefulSet", node);
            Assert.Equal("data", Value(statefulSet.GetProperty("spec").GetProperty("volumeClaimTemplates")[0], "metadata", "name"));
            Assert.Equal("/data", Value(RenderedChart.Container(statefulSet).GetProperty("volumeMounts")[0], "mountPath"));
        }
    }

    [Fact]
    public void PostgresIsAStatefulSetOnAVolumeThatCreatesTheModelsDatabaseOnFirstStart()
    {
        var postgres = Chart.Get("StatefulSet", "postgres");
        Assert.Equal("1", Value(postgres, "spec", "replicas"));
        Assert.Equal(1, postgres.GetProperty("spec").GetProperty("volumeClaimTemplates").GetArrayLength());
        var mounts = RenderedChart.Container(postgres).GetProperty("volumeMounts").EnumerateArray().ToDictionary(m => m.GetProperty("mountPath").GetString()!, m => m.GetProperty("name").GetString()!);
        Assert.Equal("var-lib-postgresql", mounts["/var/lib/postgresql"]);
        Assert.True(mounts.ContainsKey("/docker-entrypoint-initdb.d"));
        Assert.Equal("CREATE DATABASE \"syncdb\";\n", Value(Chart.Get("ConfigMap", "postgres-files"), "data", "syncdb.sql"));
        var env = Chart.Environment(postgres);
        Assert.Equal(Chart.SecretData("platform-parameters")["postgres-password"], env["POSTGRES_PASSWORD"]);
        Assert.Equal("postgres", env["POSTGRES_USER"]);
    }

    [Fact]
    public void BetsApiIsASingleReplicaStatefulSetThatKeepsItsSqliteOnAVolume()
    {
        var bets = Chart.Get("StatefulSet", "bets-api");
        Assert.Equal("1", Value(bets, "spec", "replicas"));
        Assert.Equal("/data", Value(RenderedChart.Container(bets).GetProperty("volumeMounts")[0], "mountPath"));
        Assert.Equal(1, bets.GetProperty("spec").GetProperty("volumeClaimTemplates").GetArrayLength());
        Assert.Equal("Data Source=/data/bets.db", Chart.Environment(bets)["ConnectionStrings__betsdb"]);

        // The .NET image runs as app (1654): the volume is handed to its group.
        Assert.Equal("1654", Value(RenderedChart.PodSpec(bets), "securityContext", "fsGroup"));
        Assert.False(Chart.Has("Deployment", "bets-api"));
    }

    [Fact]
    public void ProjectsRunTheModelsReplicasWithProbesOnHealthAndAlive()
    {
        Assert.Equal("2", Value(Chart.Get("Deployment", "sync-api"), "spec", "replicas"));
        Assert.Equal("1", Value(Chart.Get("Deployment", "prices-ingest"), "spec", "replicas"));
        Assert.Equal("1", Value(Chart.Get("Deployment", "web"), "spec", "replicas"));
        foreach (var (kind, name) in new[] { ("Deployment", "sync-api"), ("Deployment", "prices-ingest"), ("Deployment", "web"), ("StatefulSet", "bets-api") })
        {
            var container = RenderedChart.Container(Chart.Get(kind, name));
            Assert.Equal("/health", Value(container, "readinessProbe", "httpGet", "path"));
            Assert.Equal("/alive", Value(container, "livenessProbe", "httpGet", "path"));
            Assert.Equal("http", Value(container, "readinessProbe", "httpGet", "port"));
            Assert.Equal("8080", Value(container.GetProperty("ports")[0], "containerPort"));
            Assert.Equal($"{name}:latest", Value(container, "image"));
        }
    }

    [Fact]
    public void OnlyTheExternalWebFrontEndHasAnIngress()
    {
        var ingress = Assert.Single(Chart.OfKind("Ingress"));
        Assert.Equal("web", Value(ingress, "metadata", "name"));
        var backend = ingress.GetProperty("spec").GetProperty("rules")[0].GetProperty("http").GetProperty("paths")[0].GetProperty("backend").GetProperty("service");
        Assert.Equal("web", Value(backend, "name"));
        Assert.Equal("http", Value(backend, "port", "name"));
    }

    [Fact]
    public void ServicesReachEachOtherByResourceNameWithSecretsComposedByTheKubelet()
    {
        var secrets = Chart.SecretData("platform-parameters");
        var sync = Chart.Environment(Chart.Get("Deployment", "sync-api"));
        Assert.Equal($"redis-sentinel-0:26379,redis-sentinel-1:26379,redis-sentinel-2:26379,password={secrets["redis-password"]},serviceName=mymaster", sync["ConnectionStrings__redis"]);
        Assert.Equal($"Host=postgres;Port=5432;Username=postgres;Password={secrets["postgres-password"]};Database=syncdb", sync["ConnectionStrings__syncdb"]);
        var web = Chart.Environment(Chart.Get("Deployment", "web"));
        Assert.Equal("http://sync-api:8080", web["services__sync-api__http__0"]);
        Assert.Equal("http://bets-api:8080", web["services__bets-api__http__0"]);

        // In the rendered objects the secrets exist only inside the Secret (base64), never as text.
        foreach (var secret in secrets.Values)
        {
            Assert.DoesNotContain(secret, Chart.Text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task SecretsAreGeneratedOnInstallLookedUpOnUpgradeAndKeptOnUninstall()
    {
        var template = await File.ReadAllTextAsync(Path.Combine(outputs.ChartDirectory, "templates", "parameters", "secret.yaml"), Tools.Cancellation);
        Assert.Contains("lookup \"v1\" \"Secret\" .Release.Namespace \"platform-parameters\"", template, StringComparison.Ordinal);
        var secret = Chart.Get("Secret", "platform-parameters");
        Assert.Equal("keep", Value(secret, "metadata", "annotations", "helm.sh/resource-policy"));
        Assert.Equal(["postgres-password", "redis-password"], Chart.SecretData("platform-parameters").Keys.Order());
        Assert.All(Chart.SecretData("platform-parameters").Values, v => Assert.Matches("^[A-Za-z0-9]{22}$", v));

        // Without a cluster to look up, each render is an install: it generates new values.
        var again = await RenderedChart.RenderAsync(outputs.ChartDirectory, Path.Combine(outputs.Directory, "rendered-again.yaml"));
        Assert.NotEqual(Chart.SecretData("platform-parameters")["redis-password"], again.SecretData("platform-parameters")["redis-password"]);
        var values = await File.ReadAllTextAsync(Path.Combine(outputs.ChartDirectory, "values.yaml"), Tools.Cancellation);
        Assert.DoesNotContain("password", values, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task ProjectImagesAreSetInValues()
    {
        var rendered = await RenderedChart.RenderAsync(outputs.ChartDirectory, Path.Combine(outputs.Directory, "rendered-images.yaml"),
            "--set", "parameters.sync_api.sync_api_image=registry.example.com/platform/sync-api:1.2.3");
        Assert.Equal("registry.example.com/platform/sync-api:1.2.3", Value(RenderedChart.Container(rendered.Get("Deployment", "sync-api")), "image"));
    }
}
