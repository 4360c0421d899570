using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Platform.ServiceDefaults;

/// <summary>
/// Runs first in every web app's pipeline: turns unhandled exceptions and empty error responses into problem details,
/// and shapes the request activity. There is no ASP.NET Core instrumentation package here, so the semantic-convention
/// tags the exporter needs (route, method, status) are set by this middleware, and health probes are left out of traces.
/// </summary>
internal sealed class DefaultsStartupFilter : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(ShapeRequestActivity);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        next(app);
    };

    private static async Task ShapeRequestActivity(HttpContext context, RequestDelegate next)
    {
        var activity = Activity.Current;
        if (activity is null || activity.OperationName != "Microsoft.AspNetCore.Hosting.HttpRequestIn")
        {
            await next(context);
            return;
        }

        if (HealthEndpoints.IsHealthPath(context.Request.Path))
        {
            // Probes arrive every few seconds from every orchestrator; they would drown the real traces.
            activity.IsAllDataRequested = false;
            activity.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
            await next(context);
            return;
        }

        activity.SetTag("http.request.method", context.Request.Method);
        activity.SetTag("url.path", context.Request.Path.Value);
        activity.SetTag("url.scheme", context.Request.Scheme);
        activity.SetTag("server.address", context.Request.Host.Host);
        try
        {
            await next(context);
        }
        finally
        {
            var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText;
            if (route is not null)
            {
                activity.SetTag("http.route", route);
                activity.DisplayName = $"{context.Request.Method} {route}";
            }
            else
            {
                activity.DisplayName = context.Request.Method;
            }

            var status = context.Response.StatusCode;
            activity.SetTag("http.response.status_code", status);
            if (status >= 500)
            {
                activity.SetStatus(ActivityStatusCode.Error);
            }
        }
    }
}
