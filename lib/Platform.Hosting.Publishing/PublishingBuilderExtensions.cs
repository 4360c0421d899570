using Microsoft.Extensions.DependencyInjection;
using Platform.Hosting.Publishing;

namespace Platform.Hosting;

public static class PublishingBuilderExtensions
{
    /// <summary>
    /// Lets the AppHost write deployment artifacts from its model: <c>--publisher manifest</c> (the Aspire manifest azd
    /// reads), <c>--publisher helm</c> (a Helm chart) and <c>--publisher compose</c> (docker-compose.yaml and .env),
    /// each with <c>--output-path</c>. Run mode is unaffected.
    /// </summary>
    public static IDistributedApplicationBuilder AddPublishers(this IDistributedApplicationBuilder builder, Action<PublishingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new PublishingOptions();
        configure?.Invoke(options);
        builder.Services.AddSingleton(options);
        builder.Services.AddKeyedSingleton<IDistributedApplicationPublisher, ManifestPublisher>(ManifestPublisher.Name);
        builder.Services.AddKeyedSingleton<IDistributedApplicationPublisher, HelmPublisher>(HelmPublisher.Name);
        builder.Services.AddKeyedSingleton<IDistributedApplicationPublisher, ComposePublisher>(ComposePublisher.Name);
        return builder;
    }
}
