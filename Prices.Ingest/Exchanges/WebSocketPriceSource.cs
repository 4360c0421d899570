using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;

namespace Prices.Ingest.Exchanges;

/// <summary>
/// One exchange connection: connect, subscribe, read frames, turn them into ticks; on any failure (close, error, silence
/// longer than the idle timeout, an exchange's reconnect request) reconnect with exponential backoff and jitter.
/// </summary>
public abstract partial class WebSocketPriceSource : IPriceSource
{
    private const int MaxFrameBytes = 1 << 20;
    private readonly ExchangeOptions _options;

    protected WebSocketPriceSource(string name, ExchangeOptions options, TimeProvider time, PricesMetrics metrics, ILogger logger)
    {
        Name = name;
        _options = options;
        Time = time;
        Metrics = metrics;
        Logger = logger;
    }

    public string Name { get; }

    protected TimeProvider Time { get; }

    protected PricesMetrics Metrics { get; }

    protected ILogger Logger { get; }

    /// <summary>The quote currency of the prices this source produces (after <see cref="ToUsd"/>).</summary>
    protected virtual string Quote => "USD";

    /// <summary>Connections opened so far (tests use it to see a reconnect).</summary>
    public int Connections => Volatile.Read(ref _connections);

    private int _connections;

    /// <summary>Sends the subscription after the socket opens; resets per-connection state.</summary>
    protected abstract Task OnConnectedAsync(WebSocket socket, CancellationToken cancellationToken);

    /// <summary>Interprets one complete text frame.</summary>
    protected abstract FrameResult Parse(ReadOnlySpan<byte> utf8);

    /// <summary>Converts a parsed price to USD; identity unless the exchange quotes in something else.</summary>
    protected virtual decimal ToUsd(decimal price) => price;

    /// <summary>Work that runs beside the receive loop while connected (a client-side heartbeat, for example).</summary>
    protected virtual Task RunWhileConnectedAsync(WebSocket socket, CancellationToken cancellationToken) => Task.CompletedTask;

    protected virtual Uri BuildUri(Uri configured) => configured;

    public async Task RunAsync(ChannelWriter<PriceTick> ticks, CancellationToken cancellationToken)
    {
        var failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var receivedAny = false;
            try
            {
                receivedAny = await RunConnectionAsync(ticks, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is WebSocketException or HttpRequestException or IOException or OperationCanceledException
                                           or InvalidOperationException or TimeoutException)
            {
                LogConnectionLost(Logger, Name, ex.Message);
            }

            // A connection that delivered frames was healthy; start the backoff again from the beginning.
            failures = receivedAny ? 0 : failures + 1;
            Metrics.Reconnect(Name);
            var delay = Backoff(failures);
            LogReconnecting(Logger, Name, delay.TotalMilliseconds);
            try
            {
                await Task.Delay(delay, Time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private TimeSpan Backoff(int failures)
    {
        var ceiling = _options.ReconnectInitialDelay.TotalMilliseconds * Math.Pow(2, Math.Min(failures, 16));
        ceiling = Math.Min(ceiling, _options.ReconnectMaxDelay.TotalMilliseconds);
        // Half fixed, half random ("equal jitter"): replicas that lost the exchange together do not return together.
        return TimeSpan.FromMilliseconds(ceiling / 2 + Random.Shared.NextDouble() * ceiling / 2);
    }

    private async Task<bool> RunConnectionAsync(ChannelWriter<PriceTick> ticks, CancellationToken cancellationToken)
    {
        using var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(15);
        var uri = BuildUri(_options.Url!);
        using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            connectTimeout.CancelAfter(_options.ConnectTimeout);
            await socket.ConnectAsync(uri, connectTimeout.Token);
        }

        Interlocked.Increment(ref _connections);
        LogConnected(Logger, Name, uri);
        using var connection = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        await OnConnectedAsync(socket, connection.Token);
        var sideTask = RunWhileConnectedAsync(socket, connection.Token);
        try
        {
            return await ReceiveLoopAsync(socket, ticks, connection.Token);
        }
        finally
        {
            await connection.CancelAsync();
            try
            {
                await sideTask;
            }
            catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException)
            {
                // The side task ends with its connection; its failure is the connection's failure, already logged.
            }
        }
    }

    private async Task<bool> ReceiveLoopAsync(WebSocket socket, ChannelWriter<PriceTick> ticks, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        var receivedAny = false;
        try
        {
            using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var length = 0;
            while (true)
            {
                idle.CancelAfter(_options.IdleTimeout);
                ValueWebSocketReceiveResult result;
                try
                {
                    result = await socket.ReceiveAsync(buffer.AsMemory(length), idle.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new TimeoutException($"no frame for {_options.IdleTimeout.TotalSeconds:0.#} s");
                }

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    LogClosedByServer(Logger, Name, socket.CloseStatus, socket.CloseStatusDescription);
                    return receivedAny;
                }

                length += result.Count;
                if (!result.EndOfMessage)
                {
                    if (length == buffer.Length)
                    {
                        if (buffer.Length >= MaxFrameBytes)
                        {
                            throw new InvalidOperationException($"a frame larger than {MaxFrameBytes} bytes");
                        }

                        var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                        buffer.AsSpan(0, length).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                    }

                    continue;
                }

                receivedAny = true;
                var frame = buffer.AsSpan(0, length);
                length = 0;
                if (result.MessageType != WebSocketMessageType.Text)
                {
                    OnMalformed(frame, "binary frame");
                    continue;
                }

                if (!Handle(frame, ticks))
                {
                    return receivedAny;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <returns>false when the connection should be dropped and reopened.</returns>
    private bool Handle(ReadOnlySpan<byte> frame, ChannelWriter<PriceTick> ticks)
    {
        var arrival = Time.GetTimestamp();
        FrameResult parsed;
        try
        {
            parsed = Parse(frame);
        }
        catch (System.Text.Json.JsonException ex)
        {
            parsed = FrameResult.Malformed(ex.Message);
        }

        switch (parsed.Kind)
        {
            case FrameKind.Price:
                var now = Time.GetUtcNow().ToUnixTimeMilliseconds();
                Metrics.Tick(Name);
                ticks.TryWrite(new PriceTick(Name, ToUsd(parsed.Price), Quote, parsed.ExchangeTimeMs ?? now, now, arrival, _options.Staleness));
                return true;
            case FrameKind.Malformed:
                OnMalformed(frame, parsed.Detail ?? "unrecognised");
                return true;
            case FrameKind.Reconnect:
                LogReconnectRequested(Logger, Name, parsed.Detail);
                return false;
            default:
                return true;
        }
    }

    private void OnMalformed(ReadOnlySpan<byte> frame, string reason)
    {
        Metrics.Malformed(Name);
        var preview = Encoding.UTF8.GetString(frame[..Math.Min(frame.Length, 200)]);
        LogMalformed(Logger, Name, reason, preview);
    }

    protected static Task SendTextAsync(WebSocket socket, string json, CancellationToken cancellationToken) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, endOfMessage: true, cancellationToken);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Source}: connected to {Uri}")]
    private static partial void LogConnected(ILogger logger, string source, Uri uri);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Source}: connection lost: {Reason}")]
    private static partial void LogConnectionLost(ILogger logger, string source, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Source}: reconnecting in {DelayMs:0} ms")]
    private static partial void LogReconnecting(ILogger logger, string source, double delayMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Source}: server closed the connection ({Status} {Description})")]
    private static partial void LogClosedByServer(ILogger logger, string source, WebSocketCloseStatus? status, string? description);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Source}: malformed frame skipped ({Reason}): {Frame}")]
    private static partial void LogMalformed(ILogger logger, string source, string reason, string frame);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Source}: reconnecting at the exchange's request ({Detail})")]
    private static partial void LogReconnectRequested(ILogger logger, string source, string? detail);
}
