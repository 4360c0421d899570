using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Platform.Hosting.Publishing.Tests;

/// <summary>The design's application model, built in-process (the service projects need not exist to be published).</summary>
internal static class SampleModel
{
    public static string ProjectPath(string name) => Path.Combine(Tools.RepositoryRoot, name, name + ".csproj");

    public static IDistributedApplicationBuilder Create(string publisher, string outputPath, int syncReplicas = 2)
    {
        var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions
        {
            Args = ["--publisher", publisher, "--output-path", outputPath],
            AppHostDirectory = Path.Combine(Tools.RepositoryRoot, "AppHost"),
            StateDirectory = Path.Combine(Path.GetTempPath(), "publishing-tests-state"),
        });
        builder.Services.AddLogging(l => l.ClearProviders());
        builder.AddPublishers();
        var redis = builder.AddRedis("redis").WithSentinel(replicas: 1, sentinels: 3);
        var postgres = builder.AddPostgres("postgres").WithDataVolume();
        var syncDb = postgres.AddDatabase("syncdb");
        builder.AddProject("prices-ingest", ProjectPath("Prices.Ingest")).WithReference(redis).WaitFor(redis);
        var bets = builder.AddProject("bets-api", ProjectPath("Bets.Api")).WithReference(redis).WaitFor(redis)
            .WithDataVolume().WithHttpHealthCheck("/health");
        var sync = builder.AddProject("sync-api", ProjectPath("Sync.Api")).WithReference(redis).WithReference(syncDb)
            .WaitFor(redis).WaitFor(syncDb).WithReplicas(syncReplicas).WithHttpHealthCheck("/health");
        builder.AddProject("web", ProjectPath("Web.Frontend")).WithReference(sync).WithReference(bets).WithExternalHttpEndpoints();
        return builder;
    }

    public static async Task PublishAsync(IDistributedApplicationBuilder builder)
    {
        await using var app = builder.Build();
        await app.RunAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
    }
}
