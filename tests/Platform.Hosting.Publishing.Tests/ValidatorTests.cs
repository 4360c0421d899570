namespace Platform.Hosting.Publishing.Tests;

/// <summary>The validators the other tests rely on reject what they must: a passing validation means something.</summary>
public sealed class ValidatorTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("publishing-validators-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public async Task TheManifestSchemaRejectsABindingWithTheOldContainerPort()
    {
        var manifest = Write("aspire-manifest.json", """
            { "resources": { "cache": { "type": "container.v0", "image": "redis:7.4",
              "bindings": { "tcp": { "scheme": "tcp", "protocol": "tcp", "transport": "tcp", "containerPort": 6379 } } } } }
            """);
        Assert.NotEqual(0, (await Tools.ValidateSchemaAsync(Tools.ManifestSchema, manifest)).ExitCode);
    }

    [Fact]
    public async Task TheComposeSchemaRejectsAnUnknownServiceKey()
    {
        var compose = Write("docker-compose.yaml", "services:\n  web:\n    image: \"web:latest\"\n    replicas: 2\n");
        var result = await Tools.ValidateSchemaAsync(Tools.ComposeSchema, compose);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("replicas", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheKubernetesValidatorRejectsAStatefulSetWithoutASelector()
    {
        var rendered = Write("rendered.yaml", """
            apiVersion: apps/v1
            kind: StatefulSet
            metadata:
              name: redis-0
            spec:
              serviceName: redis-0
              template:
                spec:
                  containers:
                    - name: redis
                      image: redis:7.4
            """);
        Assert.NotEqual(0, (await Tools.ValidateKubernetesAsync(rendered)).ExitCode);
    }
}
