using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Platform.Hosting.Dashboard.Security;

namespace Platform.Hosting.Dashboard.Api;

/// <summary>The browser side: login, the token gate in front of everything, the pages and the API.</summary>
internal static class DashboardFrontend
{
    private static readonly Dictionary<string, (byte[] Body, string ContentType)> Assets = LoadAssets();

    public static void UseDashboardFrontend(this IApplicationBuilder app)
    {
        app.Use(async (context, next) =>
        {
            var auth = context.RequestServices.GetRequiredService<DashboardAuth>();
            context.Response.Headers.CacheControl = "no-store";
            context.Response.Headers.XContentTypeOptions = "nosniff";
            context.Response.Headers["Referrer-Policy"] = "no-referrer";
            context.Response.Headers.XFrameOptions = "DENY";
            if (context.Request.Path == "/login")
            {
                await LoginAsync(context, auth);
                return;
            }

            if (!auth.IsAuthenticated(context))
            {
                await RefuseAsync(context);
                return;
            }

            await next(context);
        });
        app.UseRouting();
        app.UseEndpoints(endpoints =>
        {
            endpoints.MapDashboardApi();
            endpoints.MapGet("/{**path}", (HttpContext context, string? path) => ServeAsset(context, path));
        });
    }

    private static async Task LoginAsync(HttpContext context, DashboardAuth auth)
    {
        if (!auth.IsBrowserToken(context.Request.Query["t"].ToString()))
        {
            await RefuseAsync(context);
            return;
        }

        context.Response.Cookies.Append(DashboardAuth.CookieName, auth.SessionCookieValue, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Path = "/",
            IsEssential = true,
        });
        // The token leaves the address bar (and the history) at once.
        context.Response.Redirect("/");
    }

    private static async Task RefuseAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        if (context.Request.Path.StartsWithSegments("/api"))
        {
            await Results.Problem(statusCode: 401, title: "Unauthorized",
                detail: "Sign in with the login URL the AppHost printed at start.").ExecuteAsync(context);
            return;
        }

        context.Response.ContentType = "text/html; charset=utf-8";
        await context.Response.WriteAsync("""
            <!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Dashboard: sign in</title></head>
            <body style="font-family:system-ui;margin:3rem"><h1>Sign in required</h1>
            <p>Open the login URL (<code>/login?t=…</code>) that the AppHost printed when it started.</p></body></html>
            """);
    }

    private static IResult ServeAsset(HttpContext context, string? path)
    {
        // Every page is the one document; the script routes by the fragment.
        var key = string.IsNullOrEmpty(path) || !Assets.ContainsKey(path) ? "index.html" : path;
        if (!string.IsNullOrEmpty(path) && path.Contains('.', StringComparison.Ordinal) && !Assets.ContainsKey(path))
        {
            return Results.NotFound();
        }

        var (body, contentType) = Assets[key];
        return Results.Bytes(body, contentType);
    }

    private static Dictionary<string, (byte[], string)> LoadAssets()
    {
        var assembly = typeof(DashboardFrontend).Assembly;
        var assets = new Dictionary<string, (byte[], string)>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("wwwroot/", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var file = name["wwwroot/".Length..];
            var type = Path.GetExtension(file) switch
            {
                ".html" => "text/html; charset=utf-8",
                ".js" => "text/javascript; charset=utf-8",
                ".css" => "text/css; charset=utf-8",
                ".svg" => "image/svg+xml",
                _ => "application/octet-stream",
            };
            assets[file] = (buffer.ToArray(), type);
        }

        return assets;
    }
}
