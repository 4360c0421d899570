using Microsoft.Extensions.Options;

namespace Web.Frontend.Proxy;

public static class ApiProxyExtensions
{
    public static IHostApplicationBuilder AddApiProxy(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ApiProxyOptions>()
            .BindConfiguration(ApiProxyOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => o.Routes.TrueForAll(r => r.Target is { IsAbsoluteUri: true }), "Every proxy route needs an absolute Target URI.")
            .Validate(o => o.Routes.TrueForAll(r => r.Prefix.Length > 1 && r.Prefix[0] == '/' && r.Prefix[^1] != '/'),
                "Every proxy route needs a Prefix that starts with '/' and does not end with '/'.")
            .ValidateOnStart();
        builder.Services.AddSingleton<HttpForwarder>();
        return builder;
    }

    /// <summary>Branches each configured prefix (segment-aware: <c>/hubs/sync</c> does not match <c>/hubs/syncx</c>) to the forwarder.</summary>
    public static WebApplication MapApiProxy(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<ApiProxyOptions>>().Value;
        var forwarder = app.Services.GetRequiredService<HttpForwarder>();
        foreach (var route in options.Routes)
        {
            app.Map(route.Prefix, branch => branch.Run(context => forwarder.ForwardAsync(context, route)));
        }

        return app;
    }
}
