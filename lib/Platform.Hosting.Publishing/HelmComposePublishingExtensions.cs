using Aspire.Hosting.Pipelines;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.Hosting.Publishing.Compose;
using Platform.Hosting.Publishing.Helm;
using Platform.Hosting.Publishing.Model;

namespace Aspire.Hosting;

/// <summary>
/// A Helm chart and a Docker Compose file from the application model, which Aspire 13.6 cannot write here
/// (Aspire.Hosting.Kubernetes and Aspire.Hosting.Docker are not available): two publish steps of Aspire's pipeline.
/// </summary>
public static class HelmComposePublishingExtensions
{
    /// <summary>The pipeline step that writes the Helm chart.</summary>
    public const string HelmStep = "publish-helm";

    /// <summary>The pipeline step that writes docker-compose.yaml and .env.</summary>
    public const string ComposeStep = "publish-compose";

    /// <summary>
    /// Adds the steps <c>publish-helm</c> and <c>publish-compose</c> to the AppHost's pipeline, both required by
    /// <c>publish</c>. Like <c>--publisher manifest</c> (which Aspire maps to its <c>publish-manifest</c> step),
    /// <c>--publisher helm</c> and <c>--publisher compose</c> select them: <c>dotnet run --project AppHost --
    /// --publisher helm --output-path deploy/helm</c>. <c>--operation publish --step publish-helm</c> works too.
    /// Run mode is unaffected.
    /// </summary>
    /// <param name="builder">The AppHost's builder.</param>
    /// <param name="applicationName">The chart's name, the Compose project's, and the prefix of shared objects.</param>
    public static IDistributedApplicationBuilder AddHelmAndComposePublishing(this IDistributedApplicationBuilder builder, string applicationName)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(applicationName);

        var publisher = builder.Configuration["Publishing:Publisher"];
        if (publisher is "helm" or "compose" && string.IsNullOrEmpty(builder.Configuration["Pipeline:Step"]))
        {
            builder.Configuration["Pipeline:Step"] = $"publish-{publisher}";
        }

        AddStep(builder, HelmStep, $"Writes a Helm chart of the application model ({applicationName}).", applicationName, HelmChartWriter.WriteAsync);
        AddStep(builder, ComposeStep, $"Writes docker-compose.yaml and .env of the application model ({applicationName}).", applicationName, ComposeFileWriter.WriteAsync);
        return builder;
    }

    private static void AddStep(IDistributedApplicationBuilder builder, string name, string description, string applicationName,
        Func<PublishedApplication, string, CancellationToken, Task<IReadOnlyList<string>>> write)
    {
        var step = new PipelineStep
        {
            Name = name,
            Description = description,
            Action = async context =>
            {
                try
                {
                    var directory = context.Services.GetRequiredService<IPipelineOutputService>().GetOutputDirectory();
                    var application = await PublishedApplication.ReadAsync(applicationName, context.Model, context.ExecutionContext, context.Logger, context.CancellationToken).ConfigureAwait(false);
                    var files = await write(application, directory, context.CancellationToken).ConfigureAwait(false);
                    context.Logger.LogInformation("{Step} wrote {Count} files to {Directory}", name, files.Count, Path.GetFullPath(directory));
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Aspire 13.6 logs a failed step and still ends the AppHost with exit code 0; scripts and CI must see it.
                    Environment.ExitCode = 1;
                    throw;
                }
            },
        };
        step.RequiredBy(WellKnownPipelineSteps.Publish);
        builder.Pipeline.AddStep(step);
    }
}
