using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using Platform.ServiceDefaults;

namespace Web.Frontend.Proxy;

/// <summary>
/// A minimal reverse proxy: forwards a request to the route's service (resolved per request through service discovery,
/// so each request may land on another replica) and streams the response back. HTTP/1.1 upgrades (WebSockets, used by
/// SignalR and the price stream) are forwarded as an opaque byte pump once the upstream answers 101.
/// </summary>
public sealed partial class HttpForwarder(ServiceEndpointResolver resolver, ILogger<HttpForwarder> logger) : IDisposable
{
    // No retries, redirects, cookies or decompression: the browser sees exactly what the service answered.
    private readonly HttpMessageInvoker _client = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        // Replicas come and go; do not keep a connection to an old address forever.
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
    });

    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        HeaderNames.Connection, HeaderNames.KeepAlive, HeaderNames.ProxyAuthenticate, HeaderNames.ProxyAuthorization,
        HeaderNames.TE, HeaderNames.Trailer, HeaderNames.TransferEncoding, HeaderNames.Upgrade, "Proxy-Connection",
        HeaderNames.Host,
    };

    public async Task ForwardAsync(HttpContext context, ProxyRoute route)
    {
        var aborted = context.RequestAborted;
        var upgrade = context.Features.Get<IHttpUpgradeFeature>();
        var isUpgrade = upgrade is { IsUpgradableRequest: true };

        Uri target;
        try
        {
            target = resolver.Resolve(BuildTarget(route, context.Request));
        }
        catch (InvalidOperationException ex)
        {
            LogUnresolved(logger, route.Target!, ex.Message);
            await WriteProblemAsync(context, StatusCodes.Status503ServiceUnavailable, "Service not configured",
                $"The backend for {route.Prefix} is not configured.");
            return;
        }

        using var request = CreateRequest(context, target, isUpgrade);
        HttpResponseMessage response;
        try
        {
            response = await _client.SendAsync(request, aborted);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
        {
            LogUnreachable(logger, target, ex.Message);
            await WriteProblemAsync(context, StatusCodes.Status502BadGateway, "Service unavailable",
                $"The service behind {route.Prefix} did not answer. Try again in a moment.");
            return;
        }

        using (response)
        {
            context.Response.StatusCode = (int)response.StatusCode;
            var switching = isUpgrade && response.StatusCode == HttpStatusCode.SwitchingProtocols;
            CopyResponseHeaders(response, context.Response, switching);
            if (switching)
            {
                var upstream = await response.Content.ReadAsStreamAsync(aborted);
                var downstream = await upgrade!.UpgradeAsync();
                await PumpAsync(downstream, upstream, aborted);
                return;
            }

            try
            {
                await response.Content.CopyToAsync(context.Response.Body, aborted);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException)
            {
                // Either side went away mid-body; nothing more can be sent.
                context.Abort();
            }
        }
    }

    private static Uri BuildTarget(ProxyRoute route, HttpRequest request)
    {
        // The target may carry a base path: /api/sync/rooms -> http://sync-api/api + /rooms.
        var path = route.Target!.AbsolutePath.TrimEnd('/') + (route.StripPrefix ? "" : route.Prefix) + request.Path.Value;
        var builder = new UriBuilder(route.Target!)
        {
            Path = path.Length == 0 ? "/" : path,
            Query = request.QueryString.HasValue ? request.QueryString.Value![1..] : "",
        };
        return builder.Uri;
    }

    private static HttpRequestMessage CreateRequest(HttpContext context, Uri target, bool isUpgrade)
    {
        var incoming = context.Request;
        var request = new HttpRequestMessage(new HttpMethod(incoming.Method), target)
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };

        var hasBody = !isUpgrade && (incoming.ContentLength > 0 || incoming.Headers.ContainsKey(HeaderNames.TransferEncoding));
        if (hasBody)
        {
            request.Content = new StreamContent(incoming.Body);
        }

        foreach (var (name, values) in incoming.Headers)
        {
            if (HopByHop.Contains(name))
            {
                continue;
            }

            if (!request.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
            {
                request.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        if (isUpgrade)
        {
            request.Headers.TryAddWithoutValidation(HeaderNames.Connection, "Upgrade");
            request.Headers.TryAddWithoutValidation(HeaderNames.Upgrade, (IEnumerable<string?>)incoming.Headers.Upgrade);
        }

        request.Headers.TryAddWithoutValidation("X-Forwarded-For", context.Connection.RemoteIpAddress?.ToString());
        request.Headers.TryAddWithoutValidation("X-Forwarded-Proto", incoming.Scheme);
        request.Headers.TryAddWithoutValidation("X-Forwarded-Host", incoming.Host.Value);
        if (incoming.PathBase.HasValue)
        {
            request.Headers.TryAddWithoutValidation("X-Forwarded-Prefix", incoming.PathBase.Value);
        }

        return request;
    }

    private static void CopyResponseHeaders(HttpResponseMessage response, HttpResponse outgoing, bool switching)
    {
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            if (switching ? name.Equals(HeaderNames.TransferEncoding, StringComparison.OrdinalIgnoreCase) || name.Equals(HeaderNames.KeepAlive, StringComparison.OrdinalIgnoreCase)
                          : HopByHop.Contains(name))
            {
                continue;
            }

            outgoing.Headers[name] = values.ToArray();
        }
    }

    private static async Task PumpAsync(Stream downstream, Stream upstream, CancellationToken aborted)
    {
        using var done = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        var up = CopyAsync(downstream, upstream, done.Token);
        var down = CopyAsync(upstream, downstream, done.Token);
        await Task.WhenAny(up, down);
        // One side closed: close the other so neither connection lingers half-open.
        await done.CancelAsync();
        await upstream.DisposeAsync();
        await downstream.DisposeAsync();
        await Task.WhenAll(up, down);
    }

    private static async Task CopyAsync(Stream from, Stream to, CancellationToken ct)
    {
        try
        {
            await from.CopyToAsync(to, 16 * 1024, ct);
            await to.FlushAsync(ct);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The pump ends when either side closes; that is its normal way out.
        }
    }

    private static Task WriteProblemAsync(HttpContext context, int status, string title, string detail)
    {
        if (context.Response.HasStarted)
        {
            context.Abort();
            return Task.CompletedTask;
        }

        context.Response.StatusCode = status;
        return context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        }).AsTask();
    }

    public void Dispose() => _client.Dispose();

    [LoggerMessage(Level = LogLevel.Error, Message = "No endpoint configured for {Target}: {Reason}")]
    private static partial void LogUnresolved(ILogger logger, Uri target, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Forwarding to {Target} failed: {Reason}")]
    private static partial void LogUnreachable(ILogger logger, Uri target, string reason);
}
