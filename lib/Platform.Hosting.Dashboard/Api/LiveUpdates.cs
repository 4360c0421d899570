using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Platform.Hosting.Dashboard.Telemetry;

namespace Platform.Hosting.Dashboard.Api;

/// <summary>
/// Server-Sent Events: <c>event: spans|logs|metrics|resources|console</c>. Telemetry events only say which resource
/// changed (the page re-reads what it shows); console events carry the line itself.
/// </summary>
internal static class LiveUpdates
{
    public static async Task StreamAsync(HttpContext context, ChangeFeed feed)
    {
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-store";
        context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseBodyFeature>()?.DisableBuffering();
        await context.Response.WriteAsync("retry: 2000\n\n", context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
        try
        {
            await foreach (var change in feed.SubscribeAsync(context.RequestAborted))
            {
                var data = JsonSerializer.Serialize(new { resource = change.Resource, data = change.Data }, DashboardApi.Json);
                await context.Response.WriteAsync($"event: {change.Kind}\ndata: {data}\n\n", context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
        }
    }
}
