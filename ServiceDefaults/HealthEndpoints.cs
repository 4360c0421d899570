using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Platform.ServiceDefaults;

/// <summary>
/// <c>/health</c> and <c>/alive</c>. Decision: both are mapped in every environment because orchestrators
/// (Kubernetes probes, the AppHost, Compose healthchecks) need them in production too. Outside Development they reveal
/// only the overall status word; check names, descriptions, timings and exception messages are shown in Development
/// only, since they describe the infrastructure to anyone who can reach the port. Responses are never cached.
/// </summary>
public static class HealthEndpoints
{
    public const string HealthPath = "/health";
    public const string AlivePath = "/alive";
    public const string LiveTag = "live";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = false };

    public static bool IsHealthPath(PathString path) =>
        path.StartsWithSegments(HealthPath, StringComparison.OrdinalIgnoreCase) ||
        path.StartsWithSegments(AlivePath, StringComparison.OrdinalIgnoreCase);

    internal static void Map(IEndpointRouteBuilder endpoints, bool detailed)
    {
        var writer = detailed ? WriteDetailed : (Func<HttpContext, HealthReport, Task>)WriteStatusOnly;
        endpoints.MapHealthChecks(HealthPath, new HealthCheckOptions { ResponseWriter = writer });
        endpoints.MapHealthChecks(AlivePath, new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(LiveTag),
            ResponseWriter = writer,
        });
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
        var body = new
        {
            status = report.Status.ToString(),
            durationMs = report.TotalDuration.TotalMilliseconds,
            checks = report.Entries.ToDictionary(
                e => e.Key,
                e => new
                {
                    status = e.Value.Status.ToString(),
                    description = e.Value.Description ?? e.Value.Exception?.Message,
                    durationMs = e.Value.Duration.TotalMilliseconds,
                    tags = e.Value.Tags,
                }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body, Json));
    }
}
