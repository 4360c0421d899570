using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Prices.Ingest.Tests.Fakes;

/// <summary>
/// A local stand-in for an exchange: real Kestrel on 127.0.0.1:0 accepting WebSockets on any path. Each accepted
/// connection is handed to the test, which then speaks the exchange's wire format frame by frame.
/// </summary>
public sealed class FakeExchangeServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Channel<FakeExchangeConnection> _connections = Channel.CreateUnbounded<FakeExchangeConnection>();
    private readonly System.Collections.Concurrent.ConcurrentBag<FakeExchangeConnection> _all = [];

    private FakeExchangeServer(WebApplication app) => _app = app;

    public Uri BaseUri { get; private set; } = null!;

    public static async Task<FakeExchangeServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeExchangeServer(app);
        app.UseWebSockets();
        app.Run(server.AcceptAsync);
        await app.StartAsync();
        var address = app.Urls.First();
        server.BaseUri = new Uri(address.Replace("http://", "ws://", StringComparison.Ordinal));
        return server;
    }

    public Uri Url(string path) => new(BaseUri, path);

    public async Task<FakeExchangeConnection> NextConnectionAsync(int seconds = 10) =>
        await _connections.Reader.ReadAsync(TestContext.Current.CancellationToken).AsTask()
            .WaitAsync(TimeSpan.FromSeconds(seconds), TestContext.Current.CancellationToken);

    private async Task AcceptAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var connection = new FakeExchangeConnection(socket, context.Request.Path + context.Request.QueryString);
        _all.Add(connection);
        await _connections.Writer.WriteAsync(connection);
        await connection.Finished;
    }

    public async ValueTask DisposeAsync()
    {
        _connections.Writer.TryComplete();
        foreach (var connection in _all)
        {
            connection.Abort();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(timeout.Token);
        await _app.DisposeAsync();
    }
}

/// <summary>One client connection to the fake exchange, driven by the test.</summary>
public sealed class FakeExchangeConnection(WebSocket socket, string path)
{
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The path and query the client connected to (Binance puts the stream name there).</summary>
    public string Path { get; } = path;

    internal Task Finished => _finished.Task;

    public Task SendAsync(string frame) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(frame), WebSocketMessageType.Text, true, TestContext.Current.CancellationToken);

    public async Task SendAllAsync(params string[] frames)
    {
        foreach (var frame in frames)
        {
            await SendAsync(frame);
        }
    }

    public Task SendBinaryAsync(byte[] payload) =>
        socket.SendAsync(payload, WebSocketMessageType.Binary, true, TestContext.Current.CancellationToken);

    /// <summary>The next text frame the client sent (a subscription, a heartbeat).</summary>
    public async Task<string> ReceiveAsync(int seconds = 10)
    {
        var buffer = new byte[64 * 1024];
        var length = 0;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(seconds));
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer.AsMemory(length), timeout.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                throw new InvalidOperationException("the client closed the connection");
            }

            length += result.Count;
            if (result.EndOfMessage)
            {
                return Encoding.UTF8.GetString(buffer, 0, length);
            }
        }
    }

    /// <summary>Drops the connection without a close handshake, as a crashed exchange or a cut network would.</summary>
    public void Abort()
    {
        socket.Abort();
        _finished.TrySetResult();
    }

    /// <summary>Closes politely with a close frame.</summary>
    public async Task CloseAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token);
        }
        finally
        {
            _finished.TrySetResult();
        }
    }
}
