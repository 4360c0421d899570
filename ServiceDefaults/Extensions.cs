using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Platform.ServiceDefaults;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The defaults every Platform service starts with: telemetry, health endpoints, service discovery, HTTP resilience,
/// problem details and graceful shutdown. Mirrors the ServiceDefaults project of an Aspire solution.
/// </summary>
public static class Extensions
{
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();

        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            // Resilience is the outer handler so every retry resolves the service name again.
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });

        builder.Services.AddProblemDetails();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IStartupFilter, DefaultsStartupFilter>());
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.AspNetCore.Diagnostics.IDeveloperPageExceptionFilter, ExceptionHandlersFirst>());
        builder.Services.Configure<HostOptions>(options =>
            options.ShutdownTimeout = builder.Configuration.GetValue("ShutdownTimeout", TimeSpan.FromSeconds(15)));

        return builder;
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            // The process answers: the only liveness check. Dependencies belong in readiness (/health) only,
            // so an outage of Redis makes pods unready instead of restarting them all.
            .AddCheck("self", () => Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy(), [HealthEndpoints.LiveTag]);
        return builder;
    }

    /// <summary>Maps <c>/health</c> (every check: readiness) and <c>/alive</c> (checks tagged "live").</summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        HealthEndpoints.Map(app, app.Environment.IsDevelopment());
        return app;
    }
}
