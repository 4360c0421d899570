using System.Buffers.Text;
using System.Net.WebSockets;
using System.Text;

namespace Backplane.Bench;

/// <summary>
/// A minimal SignalR client speaking the JSON hub protocol over a raw WebSocket (the .NET SignalR client is not in the
/// package source): handshake, fire-and-forget and awaited invocations, and a receive loop that hands every "m"
/// message's arguments to a callback.
/// </summary>
public sealed class RawSignalRClient : IAsyncDisposable
{
    private const byte RecordSeparator = 0x1e;
    private static readonly byte[] Handshake = Encoding.UTF8.GetBytes("{\"protocol\":\"json\",\"version\":1}\u001e");
    private readonly ClientWebSocket _socket = new();
    private readonly Action<long, long> _onMessage;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private TaskCompletionSource? _completion;
    private Task? _receive;

    private RawSignalRClient(Action<long, long> onMessage) => _onMessage = onMessage;

    public static async Task<RawSignalRClient> ConnectAsync(Uri hub, Action<long, long> onMessage, CancellationToken ct)
    {
        var client = new RawSignalRClient(onMessage);
        await client._socket.ConnectAsync(hub, ct);
        await client._socket.SendAsync(Handshake, WebSocketMessageType.Text, true, ct);
        var buffer = new byte[256];
        var read = await client._socket.ReceiveAsync(buffer, ct);
        var response = Encoding.UTF8.GetString(buffer, 0, read.Count);
        if (!response.StartsWith("{}", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("SignalR handshake failed: " + response);
        }

        client._receive = Task.Run(client.ReceiveLoopAsync, CancellationToken.None);
        return client;
    }

    /// <summary>Invokes a hub method and waits for its completion (one awaited invocation at a time).</summary>
    public async Task InvokeAsync(string target, string argumentsJson, CancellationToken ct)
    {
        _completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await SendRawAsync($"{{\"type\":1,\"invocationId\":\"1\",\"target\":\"{target}\",\"arguments\":[{argumentsJson}]}}\u001e", ct);
        await _completion.Task.WaitAsync(TimeSpan.FromSeconds(30), ct);
    }

    public Task SendAsync(string target, string argumentsJson, CancellationToken ct)
        => SendRawAsync($"{{\"type\":1,\"target\":\"{target}\",\"arguments\":[{argumentsJson}]}}\u001e", ct);

    private async Task SendRawAsync(string message, CancellationToken ct)
    {
        var bytes = Encoding.UTF8.GetBytes(message);
        await _sendLock.WaitAsync(ct);
        try
        {
            await _socket.SendAsync(bytes, WebSocketMessageType.Text, true, ct);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[16 * 1024];
        var filled = 0;
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                if (filled == buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2);
                }

                var result = await _socket.ReceiveAsync(buffer.AsMemory(filled), CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                filled += result.Count;
                var start = 0;
                int end;
                while ((end = Array.IndexOf(buffer, RecordSeparator, start, filled - start)) >= 0)
                {
                    Handle(buffer.AsSpan(start, end - start));
                    start = end + 1;
                }

                Buffer.BlockCopy(buffer, start, buffer, 0, filled - start);
                filled -= start;
            }
        }
        catch (WebSocketException)
        {
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static readonly byte[] MessageTarget = Encoding.UTF8.GetBytes("\"target\":\"m\"");
    private static readonly byte[] Arguments = Encoding.UTF8.GetBytes("\"arguments\":[");

    private void Handle(ReadOnlySpan<byte> message)
    {
        if (message.IndexOf(MessageTarget) >= 0)
        {
            var args = message[(message.IndexOf(Arguments) + Arguments.Length)..];
            if (Utf8Parser.TryParse(args, out long sequence, out var used)
                && Utf8Parser.TryParse(args[(used + 1)..], out long sentTicks, out _))
            {
                _onMessage(sequence, sentTicks);
            }
        }
        else if (message.IndexOf("\"type\":3"u8) >= 0)
        {
            _completion?.TrySetResult();
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
        }

        _socket.Abort();
        if (_receive is not null)
        {
            await _receive;
        }

        _socket.Dispose();
        _sendLock.Dispose();
    }
}
