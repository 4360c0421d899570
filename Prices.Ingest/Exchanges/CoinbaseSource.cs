using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Prices.Ingest.Exchanges;

/// <summary>
/// Coinbase Exchange WebSocket feed: the <c>ticker</c> and <c>heartbeat</c> channels for one product. Both carry the
/// product's sequence number; a jump is a gap (counted and logged), an older or repeated number is dropped.
/// </summary>
public sealed partial class CoinbaseSource(IOptions<CoinbaseOptions> options, TimeProvider time, PricesMetrics metrics, ILogger<CoinbaseSource> logger)
    : WebSocketPriceSource("coinbase", options.Value, time, metrics, logger)
{
    private readonly CoinbaseOptions _options = options.Value;
    private long _lastSequence;

    /// <summary>Sequence numbers missed so far (tests read it).</summary>
    public long MissedSequences { get; private set; }

    protected override Task OnConnectedAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        // Sequence numbers are per connection's view of the product; a new connection starts a new run.
        _lastSequence = 0;
        var subscribe = JsonSerializer.Serialize(new
        {
            type = "subscribe",
            product_ids = new[] { _options.ProductId },
            channels = new[] { "ticker", "heartbeat" },
        });
        return SendTextAsync(socket, subscribe, cancellationToken);
    }

    protected override FrameResult Parse(ReadOnlySpan<byte> utf8)
    {
        using var document = ExchangeJson.Parse(utf8);
        var root = document.RootElement;
        var type = ExchangeJson.GetString(root, "type");
        switch (type)
        {
            case "ticker":
            case "heartbeat":
                if (ExchangeJson.GetString(root, "product_id") != _options.ProductId)
                {
                    return FrameResult.Malformed($"{type} for another product");
                }

                if (!ExchangeJson.TryGetInt64(root, "sequence", out var sequence))
                {
                    return FrameResult.Malformed($"{type} without a sequence");
                }

                if (!AcceptSequence(sequence))
                {
                    return FrameResult.Control("out-of-order sequence");
                }

                if (type == "heartbeat")
                {
                    return FrameResult.Control("heartbeat");
                }

                return ExchangeJson.TryGetPrice(root, "price", out var price)
                    ? FrameResult.Of(price, ExchangeJson.GetIsoTimeMs(root, "time"))
                    : FrameResult.Malformed("ticker without a valid price");
            case "subscriptions":
                return FrameResult.Control("subscribed");
            case "error":
                // Coinbase sends an error and then closes; a fresh connection re-subscribes.
                return FrameResult.Reconnect(ExchangeJson.GetString(root, "message") ?? "error");
            default:
                return FrameResult.Malformed($"unknown type '{type}'");
        }
    }

    private bool AcceptSequence(long sequence)
    {
        if (_lastSequence != 0 && sequence <= _lastSequence)
        {
            return false;
        }

        if (_lastSequence != 0 && sequence > _lastSequence + 1)
        {
            var missed = sequence - _lastSequence - 1;
            MissedSequences += missed;
            Metrics.SequenceGap(Name, missed);
            LogGap(Logger, _lastSequence, sequence, missed);
        }

        _lastSequence = sequence;
        return true;
    }

    // Debug: the ticker channel is sent per match, so gaps between ticker messages are expected; the counter shows their rate.
    [LoggerMessage(Level = LogLevel.Debug, Message = "coinbase: sequence gap {Last} -> {Next} ({Missed} missed)")]
    private static partial void LogGap(ILogger logger, long last, long next, long missed);
}
