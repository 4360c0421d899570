using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;
using StackExchange.Redis;

namespace Bets.Api.Prices;

/// <summary>
/// Fans prices out to WebSocket clients. Each client has a one-slot mailbox that keeps only the newest price, so a slow
/// client skips prices instead of queueing them: memory per client is bounded whatever the publish rate.
/// </summary>
public sealed partial class PriceStreamHub(IConnectionMultiplexer redis, ILogger<PriceStreamHub> logger)
{
    public const string ClientsKey = "ws:clients";
    private static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, Client> _clients = new();
    private readonly string _instance = Guid.NewGuid().ToString("N")[..8];

    public int Count => _clients.Count;

    /// <summary>Prices waiting to be sent per client (never more than one) and prices skipped for being slow.</summary>
    public IReadOnlyList<(string Id, int Pending, long Skipped)> Stats() =>
        _clients.Select(c => (c.Key, c.Value.Mailbox.Reader.Count, Interlocked.Read(ref c.Value.Skipped))).ToList();

    public void Publish(string json)
    {
        var payload = new ReadOnlyMemory<byte>(Encoding.UTF8.GetBytes(json));
        foreach (var client in _clients.Values)
        {
            if (client.Mailbox.Reader.Count > 0)
            {
                Interlocked.Increment(ref client.Skipped);
            }

            client.Mailbox.Writer.TryWrite(payload);
        }
    }

    /// <summary>Serves one connection until it closes: current price first, then every published price.</summary>
    public async Task ServeAsync(WebSocket socket, Func<string?> current, CancellationToken ct)
    {
        var id = $"{_instance}:{Guid.NewGuid():N}";
        var client = new Client();
        _clients[id] = client;
        // Registered first, then the current price unless a newer one already arrived: no price falls in between.
        if (current() is { } now && client.Mailbox.Reader.Count == 0)
        {
            client.Mailbox.Writer.TryWrite(Encoding.UTF8.GetBytes(now));
        }

        await TrackAsync(id, add: true);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        try
        {
            var sending = SendLoopAsync(socket, client, cts.Token);
            var receiving = ReceiveLoopAsync(socket, cts.Token);
            await Task.WhenAny(sending, receiving);
            await cts.CancelAsync();
            try
            {
                await Task.WhenAll(sending, receiving);
            }
            catch (Exception e) when (e is OperationCanceledException or WebSocketException)
            {
            }
        }
        finally
        {
            _clients.TryRemove(id, out _);
            await TrackAsync(id, add: false);
        }
    }

    private static async Task SendLoopAsync(WebSocket socket, Client client, CancellationToken ct)
    {
        // One timer per client, re-armed per send: a client that stops reading is dropped after SendTimeout.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        await foreach (var payload in client.Mailbox.Reader.ReadAllAsync(ct))
        {
            timeout.CancelAfter(SendTimeout);
            await socket.SendAsync(payload, WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
            timeout.CancelAfter(Timeout.InfiniteTimeSpan);
        }
    }

    private static async Task ReceiveLoopAsync(WebSocket socket, CancellationToken ct)
    {
        var buffer = new byte[256];
        while (socket.State == WebSocketState.Open)
        {
            var result = await socket.ReceiveAsync(buffer, ct);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, ct);
                return;
            }
        }
    }

    private async Task TrackAsync(string id, bool add)
    {
        try
        {
            var db = redis.GetDatabase();
            if (add)
            {
                await db.SetAddAsync(ClientsKey, id);
            }
            else
            {
                await db.SetRemoveAsync(ClientsKey, id);
            }
        }
        catch (Exception e) when (e is RedisException or RedisTimeoutException)
        {
            LogTrackingFailed(logger, id, e.Message);
        }
    }

    private sealed class Client
    {
        public readonly Channel<ReadOnlyMemory<byte>> Mailbox = System.Threading.Channels.Channel.CreateBounded<ReadOnlyMemory<byte>>(
            new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        public long Skipped;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not update ws:clients for {Id}: {Reason}")]
    private static partial void LogTrackingFailed(ILogger logger, string id, string reason);
}
