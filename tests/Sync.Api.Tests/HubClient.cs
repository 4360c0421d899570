using System.Buffers;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Sync.Api.Tests;

/// <summary>
/// A minimal SignalR client speaking the JSON hub protocol over a WebSocket (the .NET client package is not available
/// here): handshake, invocations with completions, server-to-client invocations, pings and close. Handlers run on the
/// receive loop in arrival order, as the official clients do.
/// </summary>
public sealed class HubClient : IAsyncDisposable
{
    private const byte RecordSeparator = 0x1e;
    private readonly ClientWebSocket _socket = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<JsonElement>> _pending = new();
    private readonly ConcurrentDictionary<string, Action<JsonElement[]>> _handlers = new(StringComparer.OrdinalIgnoreCase);
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<string?> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _receive;
    private Task? _pinger;
    private long _nextId;

    public JsonSerializerOptions Json { get; }

    /// <summary>Completes with the server's close error (null for a clean close) when the connection ends.</summary>
    public Task<string?> Closed => _closed.Task;

    private HubClient(JsonSerializerOptions json) => Json = json;

    /// <param name="forwardedFor">An X-Forwarded-For header, as Web.Frontend's proxy sends one.</param>
    public static async Task<HubClient> ConnectAsync(Uri server, string token, JsonSerializerOptions json, CancellationToken ct, string? forwardedFor = null)
    {
        var client = new HubClient(json);
        if (forwardedFor is not null)
        {
            client._socket.Options.SetRequestHeader("X-Forwarded-For", forwardedFor);
        }

        var ws = new UriBuilder(server) { Scheme = server.Scheme == "https" ? "wss" : "ws", Path = "/hubs/sync", Query = "access_token=" + Uri.EscapeDataString(token) };
        await client._socket.ConnectAsync(ws.Uri, ct);
        await client.SendRawAsync("{\"protocol\":\"json\",\"version\":1}", ct);
        var handshake = await client.ReadMessagesAsync(ct);
        if (handshake is not [var first, ..] || first.TryGetProperty("error", out _))
        {
            throw new InvalidOperationException("SignalR handshake failed: " + (handshake is [var h, ..] ? h.ToString() : "closed"));
        }

        client._receive = Task.Run(client.ReceiveLoopAsync, CancellationToken.None);
        client._pinger = Task.Run(client.PingLoopAsync, CancellationToken.None);
        return client;
    }

    public void On(string target, Action<JsonElement[]> handler) => _handlers[target] = handler;

    /// <summary>Sees each raw hub message first; returning true skips parsing it (benchmarks use this to keep the
    /// measuring clients cheap next to the servers they measure).</summary>
    public Func<ReadOnlyMemory<byte>, bool>? RawObserver { get; set; }

    public void On<T>(string target, Action<T> handler) => On(target, args => handler(args[0].Deserialize<T>(Json)!));

    public async Task<JsonElement> InvokeRawAsync(string method, object?[] args, CancellationToken ct = default)
    {
        var id = Interlocked.Increment(ref _nextId).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var tcs = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = tcs;
        var message = JsonSerializer.Serialize(new { type = 1, invocationId = id, target = method, arguments = args }, Json);
        await SendRawAsync(message, ct);
        using (ct.Register(() => tcs.TrySetCanceled(ct)))
        {
            return await tcs.Task;
        }
    }

    public async Task<T> InvokeAsync<T>(string method, params object?[] args) =>
        (await InvokeRawAsync(method, args)).Deserialize<T>(Json)!;

    private async Task SendRawAsync(string message, CancellationToken ct)
    {
        var bytes = Encoding.UTF8.GetBytes(message + (char)RecordSeparator);
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

    private async Task PingLoopAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(10), _stop.Token);
                await SendRawAsync("{\"type\":6}", _stop.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
        }
    }

    private async Task ReceiveLoopAsync()
    {
        string? error = null;
        try
        {
            while (true)
            {
                var messages = await ReadMessagesAsync(_stop.Token);
                if (messages is null)
                {
                    break;
                }

                foreach (var m in messages)
                {
                    switch (m.GetProperty("type").GetInt32())
                    {
                        case 1 when _handlers.TryGetValue(m.GetProperty("target").GetString()!, out var handler):
                            handler([.. m.GetProperty("arguments").EnumerateArray()]);
                            break;
                        case 3 when _pending.TryRemove(m.GetProperty("invocationId").GetString()!, out var tcs):
                            if (m.TryGetProperty("error", out var e))
                            {
                                tcs.TrySetException(new InvalidOperationException(e.GetString()));
                            }
                            else
                            {
                                tcs.TrySetResult(m.TryGetProperty("result", out var r) ? r.Clone() : default);
                            }

                            break;
                        case 7:
                            error = m.TryGetProperty("error", out var ce) ? ce.GetString() : null;
                            return;
                    }
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
            error ??= ex.Message;
        }
        finally
        {
            foreach (var p in _pending.Values)
            {
                p.TrySetException(new InvalidOperationException("connection closed: " + error));
            }

            _closed.TrySetResult(error);
        }
    }

    private readonly ArrayBufferWriter<byte> _buffer = new();

    /// <summary>Reads one WebSocket message and splits it into the hub messages it holds (null on close).</summary>
    private async Task<List<JsonElement>?> ReadMessagesAsync(CancellationToken ct)
    {
        _buffer.Clear();
        while (true)
        {
            var memory = _buffer.GetMemory(8192);
            var result = await _socket.ReceiveAsync(memory, ct);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            _buffer.Advance(result.Count);
            if (result.EndOfMessage && _buffer.WrittenSpan[^1] == RecordSeparator)
            {
                break;
            }
        }

        var list = new List<JsonElement>();
        var span = _buffer.WrittenMemory;
        while (span.Length > 0)
        {
            var end = span.Span.IndexOf(RecordSeparator);
            if (RawObserver?.Invoke(span[..end]) == true)
            {
                span = span[(end + 1)..];
                continue;
            }

            using var doc = JsonDocument.Parse(span[..end]);
            list.Add(doc.RootElement.Clone());
            span = span[(end + 1)..];
        }

        return list;
    }

    /// <summary>Closes the socket without the SignalR close message, like a browser tab that is killed.</summary>
    public void Abort() => _socket.Abort();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
        }

        _socket.Dispose();
        if (_receive is not null)
        {
            await _receive.WaitAsync(TimeSpan.FromSeconds(5));
        }

        if (_pinger is not null)
        {
            await _pinger;
        }

        _stop.Dispose();
        _sendLock.Dispose();
    }
}
