using Yarp.ReverseProxy.Forwarder;

namespace Web.Frontend.Proxy;

/// <summary>
/// The same-origin proxy to Sync.Api and Bets.Api: YARP with its routes and clusters in configuration
/// (<c>ReverseProxy</c>), destinations such as <c>http://sync-api</c> resolved through service discovery
/// (<c>services__sync-api__http__0</c>, every replica), WebSockets (SignalR, the price stream) included.
/// </summary>
public static class ApiProxyExtensions
{
    public static IHostApplicationBuilder AddApiProxy(this IHostApplicationBuilder builder)
    {
        // The APIs' limits at the edge: a body too large for them is refused here, before it is read or forwarded.
        builder.AddRequestBodyLimits();
        builder.Services.AddReverseProxy()
            .LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"))
            .AddServiceDiscoveryDestinationResolver();
        return builder;
    }

    public static WebApplication MapApiProxy(this WebApplication app)
    {
        app.MapReverseProxy(proxy => proxy.Use(ProblemForProxyErrorAsync))
            // A route's MaxRequestBodySize (the hub's, for long polling) becomes its endpoint's limit, which routing
            // applies before UseRequestBodyLimits looks; -1 (no limit) is not offered.
            .ConfigureEndpoints((endpoint, route) =>
            {
                if (route.MaxRequestBodySize is > 0 and var max)
                {
                    endpoint.WithRequestBodyLimit(max);
                }
            });
        return app;
    }

    // YARP answers 502/504 with an empty body when a backend cannot be reached; the browser gets problem details
    // that name the route instead (an unconfigured service name fails the same way: nothing answers it).
    private static async Task ProblemForProxyErrorAsync(HttpContext context, Func<Task> next)
    {
        await next();
        if (context.GetForwarderErrorFeature() is { Error: ForwarderError.RequestBodyClient, Exception: BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } }
            && !context.Response.HasStarted)
        {
            // Kestrel cut a chunked body off at the route's limit while YARP streamed it (YARP would answer 400).
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext { HttpContext = context });
            return;
        }

        if (context.GetForwarderErrorFeature() is { } error && !context.Response.HasStarted)
        {
            var prefix = context.GetReverseProxyFeature().Route.Config.Match.Path?.Split("/{", 2)[0];
            await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                ProblemDetails =
                {
                    Status = context.Response.StatusCode,
                    Title = "Service unavailable",
                    Detail = $"The service behind {prefix} did not answer ({error.Error}). Try again in a moment.",
                },
            });
        }
    }
}
