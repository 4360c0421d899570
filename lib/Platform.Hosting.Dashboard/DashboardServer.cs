using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.Hosting.Dashboard.Api;
using Platform.Hosting.Dashboard.Otlp;
using Platform.Hosting.Dashboard.Resources;
using Platform.Hosting.Dashboard.Security;
using Platform.Hosting.Dashboard.Telemetry;

namespace Platform.Hosting.Dashboard;

/// <summary>
/// The dashboard: one Kestrel server with three listeners (the browser frontend, OTLP/gRPC and OTLP/HTTP). Each
/// connection is tagged with the listener it arrived on, so the OTLP ports serve only OTLP and the frontend port only
/// the token-protected pages and API.
/// </summary>
public sealed class DashboardServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _pumps = [];
    private readonly SqliteTelemetryPersistence? _persistence;

    private DashboardServer(WebApplication app, DashboardAuth auth, Uri frontend, Uri? grpc, Uri? http, SqliteTelemetryPersistence? persistence)
    {
        _app = app;
        _persistence = persistence;
        FrontendUrl = frontend;
        OtlpGrpcEndpoint = grpc;
        OtlpHttpEndpoint = http;
        BrowserToken = auth.BrowserToken;
        OtlpApiKey = auth.OtlpApiKey;
    }

    public Uri FrontendUrl { get; }

    /// <summary>The ready-to-click URL that signs the browser in.</summary>
    public Uri LoginUrl => new(FrontendUrl, $"login?t={BrowserToken}");

    public Uri? OtlpGrpcEndpoint { get; }

    public Uri? OtlpHttpEndpoint { get; }

    public string BrowserToken { get; }

    public string? OtlpApiKey { get; }

    /// <summary>The value for <c>OTEL_EXPORTER_OTLP_HEADERS</c>.</summary>
    public string? OtlpHeaders => OtlpApiKey is null ? null : $"{DashboardAuth.ApiKeyHeader}={OtlpApiKey}";

    public TelemetryStore Telemetry => _app.Services.GetRequiredService<TelemetryStore>();

    internal OtlpIngest Ingest => _app.Services.GetRequiredService<OtlpIngest>();

    public static async Task<DashboardServer> StartAsync(
        DashboardOptions options,
        IDashboardResourceService? resources = null,
        Action<ILoggingBuilder>? logging = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var auth = new DashboardAuth(options.BrowserToken ?? DashboardAuth.NewSecret(),
            options.AllowAnonymousOtlp ? options.OtlpApiKey : options.OtlpApiKey ?? DashboardAuth.NewSecret());
        var listeners = new ConcurrentDictionary<int, ListenerKind>();
        var bound = new List<(ListenerKind Kind, ListenOptions Listen)>();

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        logging?.Invoke(builder.Logging);
        var address = IPAddress.Parse(options.Host);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = OtlpIngest.MaxMessageBytes + 1024;
            void Listen(ListenerKind kind, int port, HttpProtocols protocols) => kestrel.Listen(address, port, listen =>
            {
                listen.Protocols = protocols;
                listen.Use(next => connection =>
                {
                    if (connection.LocalEndPoint is IPEndPoint local)
                    {
                        listeners[local.Port] = kind;
                    }

                    return next(connection);
                });
                bound.Add((kind, listen));
            });
            Listen(ListenerKind.Frontend, options.FrontendPort, HttpProtocols.Http1AndHttp2);
            if (options.OtlpGrpcPort >= 0)
            {
                Listen(ListenerKind.OtlpGrpc, options.OtlpGrpcPort, HttpProtocols.Http2);
            }

            if (options.OtlpHttpPort >= 0)
            {
                Listen(ListenerKind.OtlpHttp, options.OtlpHttpPort, HttpProtocols.Http1AndHttp2);
            }
        });

        var feed = new ChangeFeed();
        var store = new TelemetryStore(options.Telemetry, feed);
        SqliteTelemetryPersistence? persistence = null;
        if (options.Telemetry.SqlitePath is { Length: > 0 } path)
        {
            persistence = SqliteTelemetryPersistence.Open(path, options.Telemetry);
            persistence.LoadInto(store);
            persistence.Attach(store);
        }

        builder.Services.AddSingleton(auth);
        builder.Services.AddSingleton(feed);
        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton<OtlpIngest>();
        builder.Services.AddSingleton(new ResourceServiceHolder(resources));
        builder.Services.AddSingleton(TimeProvider.System);

        var app = builder.Build();
        app.MapWhen(c => Kind(c) == ListenerKind.OtlpHttp, otlp => otlp.UseRouting().UseEndpoints(e => e.MapOtlpHttp()));
        app.MapWhen(c => Kind(c) == ListenerKind.OtlpGrpc, otlp => otlp.UseRouting().UseEndpoints(e => e.MapOtlpGrpc()));
        app.MapWhen(c => Kind(c) == ListenerKind.Frontend, frontend => frontend.UseDashboardFrontend());
        app.Run(context =>
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        });

        ListenerKind Kind(HttpContext context) =>
            listeners.TryGetValue(context.Connection.LocalPort, out var kind) ? kind : ListenerKind.Unknown;

        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            persistence?.Dispose();
            throw new InvalidOperationException(
                $"The dashboard could not listen on {options.Host} (ports {options.FrontendPort}, {options.OtlpGrpcPort}, {options.OtlpHttpPort}): {e.Message}", e);
        }

        Uri UrlOf(ListenerKind kind)
        {
            var endpoint = bound.Single(b => b.Kind == kind).Listen.IPEndPoint!;
            return new Uri($"http://{options.Host}:{endpoint.Port}/");
        }

        var server = new DashboardServer(app, auth, UrlOf(ListenerKind.Frontend),
            options.OtlpGrpcPort >= 0 ? UrlOf(ListenerKind.OtlpGrpc) : null,
            options.OtlpHttpPort >= 0 ? UrlOf(ListenerKind.OtlpHttp) : null,
            persistence);
        if (resources is not null)
        {
            server.StartPumps(resources, feed);
        }

        return server;
    }

    /// <summary>Forwards resource changes and console output to the live-update feed.</summary>
    private void StartPumps(IDashboardResourceService resources, ChangeFeed feed)
    {
        var token = _stopping.Token;
        _pumps.Add(Task.Run(async () =>
        {
            await foreach (var resource in resources.WatchResourcesAsync(token).ConfigureAwait(false))
            {
                feed.Publish(new DashboardEvent("resources", resource.Name));
            }
        }, token));
        _pumps.Add(Task.Run(async () =>
        {
            await foreach (var line in resources.WatchConsoleLogsAsync(token).ConfigureAwait(false))
            {
                feed.Publish(new DashboardEvent("console", line.Resource, line));
            }
        }, token));
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_pumps).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
        }

        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await _app.StopAsync(stop.Token).ConfigureAwait(false);
        }

        await _app.DisposeAsync().ConfigureAwait(false);
        _persistence?.Dispose();
        _stopping.Dispose();
    }

    private enum ListenerKind { Unknown, Frontend, OtlpGrpc, OtlpHttp }
}

internal sealed record ResourceServiceHolder(IDashboardResourceService? Service);
