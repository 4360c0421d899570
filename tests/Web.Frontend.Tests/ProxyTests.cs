using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.TestSupport;
using Web.Frontend.Tests.Infrastructure;

namespace Web.Frontend.Tests;

/// <summary>
/// Web.Frontend (as a process) in front of a stand-in upstream (real Kestrel) configured as both sync-api and bets-api
/// through service discovery; and in front of an address where nothing listens.
/// </summary>
public sealed class ProxyFixture : IAsyncLifetime
{
    /// <summary>Below the proxy's 16 KB, so a body between the two reaches the upstream and is refused there.</summary>
    public const long UpstreamBodyLimit = 8 * 1024;

    public WebApplication Upstream { get; private set; } = null!;
    public ProjectProcess Frontend { get; private set; } = null!;
    public ProjectProcess FrontendWithoutBackends { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        // As Bets.Api and Sync.Api do: a body over the limit is refused, a declared one before it is read.
        builder.WebHost.ConfigureKestrel(o => o.Limits.MaxRequestBodySize = UpstreamBodyLimit);
        builder.Logging.ClearProviders();
        Upstream = builder.Build();
        Upstream.Use(async (context, next) =>
        {
            // As Sync.Api does for its hub's long polling.
            if (context.Request.Path.StartsWithSegments("/hubs"))
            {
                context.Features.GetRequiredFeature<IHttpMaxRequestBodySizeFeature>().MaxRequestBodySize = 512 * 1024;
            }
            else if (context.Request.ContentLength > UpstreamBodyLimit)
            {
                context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
                context.Response.Headers.Connection = "close";
                context.Response.Headers["X-Upstream"] = "yes";
                await context.Response.WriteAsJsonAsync(new { status = 413, title = "Request body too large" }, context.RequestAborted);
                return;
            }

            await next(context);
        });
        Upstream.UseWebSockets();
        // Echoes what arrived, so the tests see exactly what the proxy forwarded.
        Upstream.Map("/{**path}", async (HttpContext context) =>
        {
            if (context.WebSockets.IsWebSocketRequest)
            {
                using var socket = await context.WebSockets.AcceptWebSocketAsync();
                var buffer = new byte[64 * 1024];
                while (true)
                {
                    var received = await socket.ReceiveAsync(buffer, context.RequestAborted);
                    if (received.MessageType == WebSocketMessageType.Close)
                    {
                        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", context.RequestAborted);
                        return;
                    }

                    await socket.SendAsync(buffer.AsMemory(0, received.Count), received.MessageType, received.EndOfMessage, context.RequestAborted);
                }
            }

            var body = await new StreamReader(context.Request.Body).ReadToEndAsync(context.RequestAborted);
            context.Response.StatusCode = context.Request.Query.ContainsKey("status") ? int.Parse(context.Request.Query["status"]!, System.Globalization.CultureInfo.InvariantCulture) : 200;
            context.Response.Headers["X-Upstream"] = "yes";
            await context.Response.WriteAsJsonAsync(new Echo(
                context.Request.Method, context.Request.Path.Value!, context.Request.QueryString.Value ?? "", body,
                context.Request.Headers.Authorization.ToString(), context.Request.Headers["X-Forwarded-Host"].ToString(),
                context.Request.Headers["Idempotency-Key"].ToString()), context.RequestAborted);
        });
        await Upstream.StartAsync(ct);
        var upstreamUrl = Upstream.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        Frontend = await ProjectProcess.StartAsync("Web.Frontend", new Dictionary<string, string>
        {
            ["services__sync-api__http__0"] = upstreamUrl,
            ["services__bets-api__http__0"] = upstreamUrl,
        }, ct);
        var nowhere = $"http://127.0.0.1:{Repo.FreePort()}";
        FrontendWithoutBackends = await ProjectProcess.StartAsync("Web.Frontend", new Dictionary<string, string>
        {
            ["services__sync-api__http__0"] = nowhere,
        }, ct);
    }

    public async ValueTask DisposeAsync()
    {
        if (Frontend is not null)
        {
            await Frontend.DisposeAsync();
        }

        if (FrontendWithoutBackends is not null)
        {
            await FrontendWithoutBackends.DisposeAsync();
        }

        if (Upstream is not null)
        {
            await Upstream.DisposeAsync();
        }
    }
}

public sealed record Echo(string Method, string Path, string Query, string Body, string Authorization, string ForwardedHost, string IdempotencyKey);

public sealed class ProxyTests(ProxyFixture fixture) : IClassFixture<ProxyFixture>, IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly HttpClient _http = new();

    public void Dispose() => _http.Dispose();

    [Fact]
    public async Task SyncApiRequestsKeepTheApiBasePathAndCarryQueryBodyAndAuthorization()
    {
        var ct = TestContext.Current.CancellationToken;
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(fixture.Frontend.Url, "/api/sync/rooms/abc/join?x=1&y=2"))
        {
            Content = JsonContent.Create(new { password = "pw" }),
        };
        request.Headers.Authorization = new("Bearer", "token-1");
        using var response = await _http.SendAsync(request, ct).WaitAsync(Timeout, ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("yes", response.Headers.GetValues("X-Upstream").Single());
        var echo = (await response.Content.ReadFromJsonAsync<Echo>(Json, ct))!;
        Assert.Equal("POST", echo.Method);
        Assert.Equal("/api/rooms/abc/join", echo.Path);
        Assert.Equal("?x=1&y=2", echo.Query);
        Assert.Equal("""{"password":"pw"}""", echo.Body);
        Assert.Equal("Bearer token-1", echo.Authorization);
        Assert.Equal(fixture.Frontend.Url.Authority, echo.ForwardedHost);
    }

    [Fact]
    public async Task BetsApiRequestsLoseThePrefixAndKeepTheIdempotencyKey()
    {
        var ct = TestContext.Current.CancellationToken;
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(fixture.Frontend.Url, "/api/bets/bets"))
        {
            Content = new StringContent("""{"band":1}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Idempotency-Key", "key-123");
        using var response = await _http.SendAsync(request, ct).WaitAsync(Timeout, ct);
        var echo = (await response.Content.ReadFromJsonAsync<Echo>(Json, ct))!;
        Assert.Equal("/bets", echo.Path);
        Assert.Equal("key-123", echo.IdempotencyKey);
    }

    [Fact]
    public async Task UpstreamErrorStatusesReachTheBrowserUnchanged()
    {
        var ct = TestContext.Current.CancellationToken;
        using var response = await _http.GetAsync(new Uri(fixture.Frontend.Url, "/api/bets/grid?status=422"), ct).WaitAsync(Timeout, ct);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
    }

    [Fact]
    public async Task AnUpstreams413ReachesTheBrowserUnchanged()
    {
        var ct = TestContext.Current.CancellationToken;
        using var response = await _http.PostAsync(new Uri(fixture.Frontend.Url, "/api/sync/sessions"),
            new StringContent($$"""{"displayName":"{{new string('a', 12 * 1024)}}"}""", Encoding.UTF8, "application/json"), ct).WaitAsync(Timeout, ct);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("yes", response.Headers.GetValues("X-Upstream").Single());
        Assert.Contains("Request body too large", await response.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AHugeDeclaredBodyIsRefusedAtTheProxyBeforeAnyOfItIsSent()
    {
        var answer = await OversizedUpload.DeclaredAsync(fixture.Frontend.Url, "/api/sync/sessions", 25L * 1024 * 1024, null,
            TestContext.Current.CancellationToken);

        Assert.Equal(413, answer.Status);
        Assert.Equal(0, answer.BodyBytesSent);
        Assert.Equal("close", answer.Header("Connection"));
        Assert.Contains("16 KB", answer.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AHugeChunkedBodyIsCutOffAtTheProxysLimitNotBuffered()
    {
        // Were the proxy to buffer the body, or to stream all of it on, all 25 MB would be sent before any answer came.
        var answer = await OversizedUpload.ChunkedAsync(fixture.Frontend.Url, "/api/bets/auth/verify", 25L * 1024 * 1024, null,
            TestContext.Current.CancellationToken);

        Assert.Equal(413, answer.Status);
        Assert.False(answer.BodyFinished, $"the whole body ({answer.BodyBytesSent} bytes) was sent before the answer");
        Assert.Contains("Request body too large", answer.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheHubRouteTakesLongPollingBodiesUpTo512Kilobytes()
    {
        var ct = TestContext.Current.CancellationToken;
        var body = new string('m', 300 * 1024);
        using var response = await _http.PostAsync(new Uri(fixture.Frontend.Url, "/hubs/sync?id=abc"), new StringContent(body), ct).WaitAsync(Timeout, ct);
        // Over every other route's 16 KB: the whole body reached the upstream.
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var echo = await response.Content.ReadFromJsonAsync<Echo>(ct);
        Assert.Equal(body.Length, echo!.Body.Length);
    }

    [Fact]
    public async Task WebSocketsArePumpedBothWaysThroughTheProxy()
    {
        var ct = TestContext.Current.CancellationToken;
        using var socket = new ClientWebSocket();
        var url = new UriBuilder(fixture.Frontend.Url) { Scheme = "ws", Path = "/ws/prices" }.Uri;
        await socket.ConnectAsync(url, ct).WaitAsync(Timeout, ct);
        var buffer = new byte[256 * 1024];
        foreach (var size in new[] { 5, 70_000 })
        {
            var payload = Encoding.UTF8.GetBytes(new string('p', size));
            await socket.SendAsync(payload, WebSocketMessageType.Text, true, ct).WaitAsync(Timeout, ct);
            var total = 0;
            ValueWebSocketReceiveResult received;
            do
            {
                received = await socket.ReceiveAsync(buffer.AsMemory(total), ct).AsTask().WaitAsync(Timeout, ct);
                total += received.Count;
            }
            while (!received.EndOfMessage);
            Assert.Equal(size, total);
        }

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", ct).WaitAsync(Timeout, ct);
        Assert.Equal(WebSocketState.Closed, socket.State);
    }

    [Fact]
    public async Task HubPrefixMatchesWholeSegmentsOnly()
    {
        var ct = TestContext.Current.CancellationToken;
        using var hub = await _http.GetAsync(new Uri(fixture.Frontend.Url, "/hubs/sync/negotiate"), ct).WaitAsync(Timeout, ct);
        Assert.Equal("/hubs/sync/negotiate", (await hub.Content.ReadFromJsonAsync<Echo>(Json, ct))!.Path);

        // Not a proxy route: the SPA's index.html answers (its router shows "not found").
        using var other = await _http.GetAsync(new Uri(fixture.Frontend.Url, "/hubs/syncx"), ct).WaitAsync(Timeout, ct);
        Assert.False(other.Headers.Contains("X-Upstream"));
        Assert.Contains("<div id=\"toasts\"", await other.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnreachableBackendIsA502ProblemDetails()
    {
        var ct = TestContext.Current.CancellationToken;
        using var response = await _http.GetAsync(new Uri(fixture.FrontendWithoutBackends.Url, "/api/sync/rooms/abc"), ct).WaitAsync(Timeout, ct);
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("did not answer", await response.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnconfiguredBackendIsA502ProblemDetailsNamingTheRoute()
    {
        var ct = TestContext.Current.CancellationToken;
        using var response = await _http.GetAsync(new Uri(fixture.FrontendWithoutBackends.Url, "/api/bets/grid"), ct).WaitAsync(Timeout, ct);
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("/api/bets", await response.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClientRoutesAndTheTestVideoAreServedByTheHost()
    {
        var ct = TestContext.Current.CancellationToken;
        using var page = await _http.GetAsync(new Uri(fixture.Frontend.Url, "/watch/some-room"), ct).WaitAsync(Timeout, ct);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);

        using var range = new HttpRequestMessage(HttpMethod.Get, new Uri(fixture.Frontend.Url, "/media/test-pattern.webm"));
        range.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(0, 1023);
        using var video = await _http.SendAsync(range, ct).WaitAsync(Timeout, ct);
        Assert.Equal(HttpStatusCode.PartialContent, video.StatusCode);
        Assert.Equal("video/webm", video.Content.Headers.ContentType?.MediaType);
        Assert.Equal(1024, (await video.Content.ReadAsByteArrayAsync(ct)).Length);
    }
}
