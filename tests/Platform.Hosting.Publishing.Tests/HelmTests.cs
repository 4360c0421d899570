using System.Text.Json;

namespace Platform.Hosting.Publishing.Tests;

public sealed class HelmTests(Tools tools, SampleOutputs sample) : IClassFixture<SampleOutputs>
{
    private static JsonElement PodSpec(JsonElement workload) => workload.GetProperty("spec").GetProperty("template").GetProperty("spec");

    private static JsonElement Container(JsonElement workload) => PodSpec(workload).GetProperty("containers")[0];

    private static string? EnvValue(JsonElement container, string name) =>
        container.GetProperty("env").EnumerateArray().Where(e => e.GetProperty("name").GetString() == name)
            .Select(e => e.TryGetProperty("value", out var v) ? v.GetString() : null).FirstOrDefault();

    [Fact]
    public async Task ChartPassesHelmLint()
    {
        var lint = await tools.HelmAsync("lint", "--strict", sample.ChartDirectory);
        Assert.True(lint.ExitCode == 0, lint.ToString());
    }

    [Fact]
    public async Task EveryRenderedObjectValidatesAgainstTheKubernetesSchemas()
    {
        var result = await Tools.ValidateAsync("kubernetes", sample.RenderedPath);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(sample.Rendered.GetArrayLength() >= 20, $"only {sample.Rendered.GetArrayLength()} objects rendered");
    }

    [Fact]
    public void ChartFollowsAspireConventions()
    {
        Assert.True(File.Exists(Path.Combine(sample.ChartDirectory, "Chart.yaml")));
        Assert.True(File.Exists(Path.Combine(sample.ChartDirectory, "templates", "sync-api", "deployment.yaml")));
        Assert.True(File.Exists(Path.Combine(sample.ChartDirectory, "templates", "sync-api", "config.yaml")));
        var values = File.ReadAllText(Path.Combine(sample.ChartDirectory, "values.yaml"));
        Assert.Contains("sync_api_image: \"sync-api:latest\"", values, StringComparison.Ordinal);
        Assert.Equal("sync-api:latest", Container(sample.Object("Deployment", "sync-api-deployment")).GetProperty("image").GetString());
    }

    [Fact]
    public void RedisIsHighlyAvailableWithSentinels()
    {
        var redis = sample.Object("StatefulSet", "redis");
        Assert.Equal(2, redis.GetProperty("spec").GetProperty("replicas").GetInt32());
        Assert.Equal("data", redis.GetProperty("spec").GetProperty("volumeClaimTemplates")[0].GetProperty("metadata").GetProperty("name").GetString());
        Assert.Equal("$(POD_NAME).redis-headless", EnvValue(Container(redis), "REDIS_SELF"));
        Assert.Equal("redis-0.redis-headless", EnvValue(Container(redis), "REDIS_INITIAL_MASTER"));
        var sentinels = sample.Object("StatefulSet", "redis-sentinel");
        Assert.Equal(3, sentinels.GetProperty("spec").GetProperty("replicas").GetInt32());
        Assert.Equal("redis-sentinel-0.redis-sentinel-headless:26379,redis-sentinel-1.redis-sentinel-headless:26379,redis-sentinel-2.redis-sentinel-headless:26379",
            EnvValue(Container(sentinels), "REDIS_SENTINELS"));
        Assert.True(sample.Object("Service", "redis-headless").GetProperty("spec").GetProperty("publishNotReadyAddresses").GetBoolean());
        Assert.Equal(2, sample.Object("PodDisruptionBudget", "redis-sentinel-pdb").GetProperty("spec").GetProperty("minAvailable").GetInt32());
        var scripts = sample.Object("ConfigMap", "redis-scripts").GetProperty("data");
        Assert.Contains("SENTINEL get-master-addr-by-name", scripts.GetProperty("node.sh").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void PostgresIsAStatefulSetWithAVolume()
    {
        var postgres = sample.Object("StatefulSet", "postgres");
        Assert.Equal(1, postgres.GetProperty("spec").GetProperty("replicas").GetInt32());
        Assert.Equal(1, postgres.GetProperty("spec").GetProperty("volumeClaimTemplates").GetArrayLength());
        Assert.Equal("syncdb", EnvValue(Container(postgres), "POSTGRES_DB"));
        var password = Container(postgres).GetProperty("env").EnumerateArray().Single(e => e.GetProperty("name").GetString() == "POSTGRES_PASSWORD");
        Assert.Equal("postgres-password", password.GetProperty("valueFrom").GetProperty("secretKeyRef").GetProperty("key").GetString());
    }

    [Fact]
    public void ServicesAreDeploymentsWithProbesAndReplicas()
    {
        var sync = sample.Object("Deployment", "sync-api-deployment");
        Assert.Equal(2, sync.GetProperty("spec").GetProperty("replicas").GetInt32());
        var container = Container(sync);
        Assert.Equal("/health", container.GetProperty("readinessProbe").GetProperty("httpGet").GetProperty("path").GetString());
        Assert.Equal("/alive", container.GetProperty("livenessProbe").GetProperty("httpGet").GetProperty("path").GetString());
        Assert.Equal(1, sample.Object("Deployment", "prices-ingest-deployment").GetProperty("spec").GetProperty("replicas").GetInt32());

        // Connection strings with secrets are built by the kubelet from the Secret, never written out.
        Assert.Equal("redis-sentinel-0.redis-sentinel-headless:26379,redis-sentinel-1.redis-sentinel-headless:26379,redis-sentinel-2.redis-sentinel-headless:26379,password=$(REDIS_PASSWORD),serviceName=mymaster",
            EnvValue(container, "ConnectionStrings__redis"));
        Assert.Equal("Host=postgres-service;Port=5432;Username=postgres;Password=$(POSTGRES_PASSWORD);Database=syncdb", EnvValue(container, "ConnectionStrings__syncdb"));
        var names = container.GetProperty("env").EnumerateArray().Select(e => e.GetProperty("name").GetString()).ToList();
        Assert.True(names.IndexOf("REDIS_PASSWORD") < names.IndexOf("ConnectionStrings__redis"), "a $(VAR) reference must follow the variable");
        var config = sample.Object("ConfigMap", "web-config").GetProperty("data");
        Assert.Equal("http://sync-api-service:8080", config.GetProperty("services__sync-api__http__0").GetString());
        Assert.Equal("8080", config.GetProperty("HTTP_PORTS").GetString());
    }

    [Fact]
    public void BetsApiKeepsItsSqliteOnAVolumeInASingleReplicaStatefulSet()
    {
        var bets = sample.Object("StatefulSet", "bets-api");
        Assert.Equal(1, bets.GetProperty("spec").GetProperty("replicas").GetInt32());
        Assert.Equal("/data", Container(bets).GetProperty("volumeMounts")[0].GetProperty("mountPath").GetString());
        Assert.Equal(1, bets.GetProperty("spec").GetProperty("volumeClaimTemplates").GetArrayLength());
        Assert.DoesNotContain(sample.Rendered.EnumerateArray(), o => o.GetProperty("metadata").GetProperty("name").GetString() == "bets-api-deployment");
    }

    [Fact]
    public void SyncApiReplicasGetSessionAffinityAndWebGetsAWebSocketFriendlyIngress()
    {
        var service = sample.Object("Service", "sync-api-service").GetProperty("spec");
        Assert.Equal("ClientIP", service.GetProperty("sessionAffinity").GetString());
        var ingress = sample.Object("Ingress", "web-ingress");
        Assert.Equal("3600", ingress.GetProperty("metadata").GetProperty("annotations").GetProperty("nginx.ingress.kubernetes.io/proxy-read-timeout").GetString());
        Assert.Equal("web-service", ingress.GetProperty("spec").GetProperty("rules")[0].GetProperty("http").GetProperty("paths")[0]
            .GetProperty("backend").GetProperty("service").GetProperty("name").GetString());
        Assert.DoesNotContain(sample.Rendered.EnumerateArray(), o => o.GetProperty("kind").GetString() == "Ingress" && o.GetProperty("metadata").GetProperty("name").GetString() != "web-ingress");
    }

    [Fact]
    public async Task SecretsAreGeneratedByTheChartAndKeptOnUpgrade()
    {
        var values = await File.ReadAllTextAsync(Path.Combine(sample.ChartDirectory, "values.yaml"), TestContext.Current.CancellationToken);
        Assert.DoesNotContain("password", values, StringComparison.OrdinalIgnoreCase);
        var template = await File.ReadAllTextAsync(Path.Combine(sample.ChartDirectory, "templates", "parameters", "secrets.yaml"), TestContext.Current.CancellationToken);
        Assert.Contains("lookup \"v1\" \"Secret\" .Release.Namespace \"platform-parameters\"", template, StringComparison.Ordinal);
        var secret = sample.Object("Secret", "platform-parameters");
        Assert.Equal("keep", secret.GetProperty("metadata").GetProperty("annotations").GetProperty("helm.sh/resource-policy").GetString());
        var password = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(secret.GetProperty("data").GetProperty("redis-password").GetString()!));
        Assert.Equal(22, password.Length);

        // Two installs without a cluster generate two different values: only lookup keeps one across upgrades.
        var again = await tools.HelmAsync("template", "platform", sample.ChartDirectory, "--show-only", "templates/parameters/secrets.yaml");
        Assert.DoesNotContain(secret.GetProperty("data").GetProperty("redis-password").GetString()!, again.Output, StringComparison.Ordinal);
    }
}
