using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The Aspire service-defaults template (OpenTelemetry, health checks, service discovery, HTTP resilience) plus what
/// Platform does better: health endpoints that reveal only a status word outside Development, problem details whose
/// status the application's exception handlers decide in every environment, request spans named by route, and no
/// telemetry for health probes.
/// </summary>
public static class Extensions
{
    private const string HealthEndpointPath = "/health";
    private const string AlivenessEndpointPath = "/alive";
    private static readonly JsonSerializerOptions HealthJson = new(JsonSerializerDefaults.Web);

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();

        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            // A retried POST could place a bet twice: unsafe methods are sent once (the template retries them).
            http.AddStandardResilienceHandler(o => o.Retry.DisableForUnsafeHttpMethods());
            http.AddServiceDiscovery();
        });

        builder.Services.AddProblemDetails();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IStartupFilter, ProblemDetailsFirst>());
        // In Development the developer exception page catches exceptions before UseExceptionHandler, so an
        // application's IExceptionHandler (Redis down → 503) would only run in production; this offers them first.
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IDeveloperPageExceptionFilter, ExceptionHandlersFirst>());
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(15));
        return builder;
    }

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(builder.Environment.ApplicationName))
            .WithTracing(tracing => tracing
                // Parent-based whatever OTEL_TRACES_SAMPLER says (the AppHost sets always_on): an untraced parent (health
                // probes, UntracedWork) must take its Redis and SQL spans with it, or each becomes a root trace.
                .SetSampler(new ParentBasedSampler(new AlwaysOnSampler()))
                .AddSource(builder.Environment.ApplicationName, "Microsoft.AspNetCore.SignalR.Server")
                .AddAspNetCoreInstrumentation(o =>
                {
                    // Orchestrators probe every few seconds; those spans would bury the requests of users.
                    o.Filter = context => !IsHealthProbe(context.Request.Path);
                    o.EnrichWithHttpResponse = NameByRoute;
                })
                .AddHttpClientInstrumentation());

        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }

        return builder;
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        // The only liveness check: dependencies belong in readiness, so a Redis outage makes pods unready rather than
        // restarting them all.
        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);
        return builder;
    }

    /// <summary>
    /// <c>/health</c> (every check: readiness) and <c>/alive</c> (checks tagged <c>live</c>), in every environment,
    /// because Kubernetes, Compose and the AppHost probe them. Outside Development they answer only the status word:
    /// check names, descriptions and exception messages describe the infrastructure to anyone who reaches the port.
    /// Also turns unhandled exceptions and empty error responses into problem details.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();

        Func<HttpContext, HealthReport, Task> writer = app.Environment.IsDevelopment() ? WriteDetailed : WriteStatusOnly;
        app.MapHealthChecks(HealthEndpointPath, new HealthCheckOptions { ResponseWriter = writer });
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions { Predicate = r => r.Tags.Contains("live"), ResponseWriter = writer });
        return app;
    }

    private static bool IsHealthProbe(PathString path) =>
        path.StartsWithSegments(HealthEndpointPath, StringComparison.OrdinalIgnoreCase) ||
        path.StartsWithSegments(AlivenessEndpointPath, StringComparison.OrdinalIgnoreCase);

    // "POST /bets", not "POST /bets/": a group's "/" endpoint keeps the slash in its raw route pattern.
    private static void NameByRoute(Activity activity, HttpResponse response)
    {
        if ((response.HttpContext.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText is { Length: > 0 } raw)
        {
            var route = raw.Length > 1 ? raw.TrimEnd('/') : raw;
            route = route.StartsWith('/') ? route : "/" + route;
            activity.SetTag("http.route", route);
            activity.DisplayName = $"{response.HttpContext.Request.Method} {route}";
        }
    }

    private static Task WriteStatusOnly(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "text/plain";
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsync(report.Status.ToString());
    }

    private static Task WriteDetailed(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status.ToString(),
            durationMs = report.TotalDuration.TotalMilliseconds,
            checks = report.Entries.ToDictionary(e => e.Key, e => new
            {
                status = e.Value.Status.ToString(),
                description = e.Value.Description ?? e.Value.Exception?.Message,
                durationMs = e.Value.Duration.TotalMilliseconds,
                tags = e.Value.Tags,
            }),
        }, HealthJson));
    }

    /// <summary>First in every pipeline, so exceptions from authentication (a session read from Redis) and empty error
    /// responses become problem details too.</summary>
    private sealed class ProblemDetailsFirst : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.UseExceptionHandler();
            app.UseStatusCodePages();
            next(app);
        };
    }

    private sealed class ExceptionHandlersFirst(IEnumerable<IExceptionHandler> handlers) : IDeveloperPageExceptionFilter
    {
        public async Task HandleExceptionAsync(ErrorContext errorContext, Func<ErrorContext, Task> next)
        {
            foreach (var handler in handlers)
            {
                if (await handler.TryHandleAsync(errorContext.HttpContext, errorContext.Exception, errorContext.HttpContext.RequestAborted))
                {
                    return;
                }
            }

            await next(errorContext);
        }
    }
}
