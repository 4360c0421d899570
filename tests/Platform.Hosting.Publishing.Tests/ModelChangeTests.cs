using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Platform.Hosting.Publishing.Tests;

/// <summary>
/// The three outputs follow the model: a model built in the test (the AppHost's Redis, PostgreSQL and Sync.Api, in
/// publish mode, built as an AppHost builds it) is published, then published again with one more
/// project and another replica count. Aspire's manifest has no replica count (azd scales apart from it).
/// </summary>
public sealed class ModelChangeTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("publishing-change-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static string ProjectPath(string name) => Path.Combine(Tools.RepositoryRoot, name, $"{name}.csproj");

    /// <summary>
    /// A model of the test's own, in publish mode with the AppHost's arguments for one publisher: Aspire's own builder,
    /// as an AppHost creates it. (DistributedApplicationTestingBuilder.Create insists on an assembly that names DCP,
    /// i.e. an AppHost project; publishing starts neither DCP nor the dashboard.)
    /// </summary>
    private static IDistributedApplicationBuilder Builder(string publisher, string output)
    {
        var builder = DistributedApplication.CreateBuilder(["--publisher", publisher, "--output-path", output]);
        Assert.True(builder.ExecutionContext.IsPublishMode);
        builder.AddHelmAndComposePublishing("platform");
        return builder;
    }

    private static async Task PublishAsync(string publisher, string output, int syncReplicas, bool withAudit)
    {
        var builder = Builder(publisher, output);
        var redis = builder.AddRedisSentinel("redis", replicas: 1, sentinels: 3).WithDataVolume();
        var postgres = builder.AddPostgres("postgres").WithDataVolume().RunAsLocalProcess();
        var syncDb = postgres.AddDatabase("syncdb");
        builder.AddProject("sync-api", ProjectPath("Sync.Api"))
            .WithReferenceEnvironment(ReferenceEnvironmentInjectionFlags.ConnectionString)
            .WithReference(redis).WithReference(syncDb).WaitFor(redis).WaitFor(syncDb)
            .WithReplicas(syncReplicas);
        if (withAudit)
        {
            builder.AddProject("audit", ProjectPath("Prices.Ingest"))
                .WithReferenceEnvironment(ReferenceEnvironmentInjectionFlags.ConnectionString)
                .WithReference(redis).WaitFor(redis);
        }

        await using var app = builder.Build();

        // In publish mode the application runs its pipeline step and stops.
        await app.RunAsync(Tools.Cancellation);
    }

    private async Task<(JsonElement Manifest, RenderedChart Chart, ComposeOutput Compose)> PublishAllAsync(string name, int syncReplicas, bool withAudit)
    {
        var root = Path.Combine(_directory, name);
        var manifest = Path.Combine(root, "aspire-manifest.json");
        await PublishAsync("manifest", manifest, syncReplicas, withAudit);
        await PublishAsync("helm", Path.Combine(root, "helm"), syncReplicas, withAudit);
        await PublishAsync("compose", Path.Combine(root, "compose"), syncReplicas, withAudit);

        var rendered = Path.Combine(root, "rendered.yaml");
        var chart = await RenderedChart.RenderAsync(Path.Combine(root, "helm"), rendered);
        var checks = new[]
        {
            await Tools.ValidateSchemaAsync(Tools.ManifestSchema, manifest),
            await Tools.ValidateKubernetesAsync(rendered),
            await Tools.ValidateSchemaAsync(Tools.ComposeSchema, Path.Combine(root, "compose", "docker-compose.yaml")),
        };
        Assert.All(checks, c => Assert.True(c.ExitCode == 0, c.ToString()));
        return (JsonDocument.Parse(await File.ReadAllTextAsync(manifest, Tools.Cancellation)).RootElement, chart, await ComposeOutput.ReadAsync(Path.Combine(root, "compose")));
    }

    [Fact]
    public async Task ANewProjectAndAReplicaCountShowUpInTheManifestTheChartAndTheComposeFile()
    {
        var before = await PublishAllAsync("before", syncReplicas: 2, withAudit: false);
        var after = await PublishAllAsync("after", syncReplicas: 3, withAudit: true);

        // The new project.
        Assert.False(before.Manifest.GetProperty("resources").TryGetProperty("audit", out _));
        var audit = after.Manifest.GetProperty("resources").GetProperty("audit");
        Assert.Equal("project.v0", audit.GetProperty("type").GetString());
        Assert.Equal("{redis.connectionString}", audit.GetProperty("env").GetProperty("ConnectionStrings__redis").GetString());

        Assert.False(before.Chart.Has("Deployment", "audit"));
        var auditEnv = after.Chart.Environment(after.Chart.Get("Deployment", "audit"));
        Assert.StartsWith("redis-sentinel-0:26379,", auditEnv["ConnectionStrings__redis"], StringComparison.Ordinal);
        Assert.True(after.Chart.Has("Service", "audit"));

        Assert.False(before.Compose.Services.TryGetProperty("audit", out _));
        Assert.Equal("service_healthy", after.Compose.Service("audit").GetProperty("depends_on").GetProperty("redis-sentinel-0").GetProperty("condition").GetString());
        Assert.Equal("audit:latest", after.Compose.Interpolate(after.Compose.Service("audit").GetProperty("image").GetString()!));

        // The replica count.
        Assert.Equal(2, before.Chart.Get("Deployment", "sync-api").GetProperty("spec").GetProperty("replicas").GetInt32());
        Assert.Equal(3, after.Chart.Get("Deployment", "sync-api").GetProperty("spec").GetProperty("replicas").GetInt32());
        Assert.Equal(2, before.Compose.Service("sync-api").GetProperty("deploy").GetProperty("replicas").GetInt32());
        Assert.Equal(3, after.Compose.Service("sync-api").GetProperty("deploy").GetProperty("replicas").GetInt32());
    }

    [Fact]
    public async Task AnExecutableCannotBePublishedToHelmTheStepSaysWhyAndTheAppHostExitsWithAnError()
    {
        var builder = Builder("helm", Path.Combine(_directory, "helm"));
        builder.AddExecutable("tool", "redis-server", _directory);
        var log = new CapturingLoggerProvider();
        builder.Services.AddLogging(logging => logging.AddProvider(log));
        await using var app = builder.Build();
        try
        {
            await app.RunAsync(Tools.Cancellation);
            Assert.Equal(1, Environment.ExitCode);
        }
        finally
        {
            Environment.ExitCode = 0;
        }

        Assert.Contains("Resource 'tool' is an executable: it has no image to deploy", log.Text, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_directory, "helm", "Chart.yaml")));
    }

    private sealed class CapturingLoggerProvider : ILoggerProvider, ILogger
    {
        private readonly System.Text.StringBuilder _text = new();

        public string Text
        {
            get
            {
                lock (_text)
                {
                    return _text.ToString();
                }
            }
        }

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_text)
            {
                _text.AppendLine(formatter(state, exception)).AppendLine(exception?.ToString());
            }
        }

        public void Dispose()
        {
        }
    }
}
