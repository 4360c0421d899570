using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Prices.Ingest.Exchanges;

/// <summary>
/// Bitstamp WebSocket API v2, <c>live_trades_&lt;pair&gt;</c>. Prices come from <c>price_str</c> (exact text);
/// the client sends <c>bts:heartbeat</c> periodically and obeys <c>bts:request_reconnect</c>.
/// </summary>
public sealed class BitstampSource(IOptions<BitstampOptions> options, TimeProvider time, PricesMetrics metrics, ILogger<BitstampSource> logger)
    : WebSocketPriceSource("bitstamp", options.Value, time, metrics, logger)
{
    private readonly BitstampOptions _options = options.Value;

    private string Channel => $"live_trades_{_options.Pair}";

    protected override Task OnConnectedAsync(WebSocket socket, CancellationToken cancellationToken) =>
        SendTextAsync(socket, JsonSerializer.Serialize(new { @event = "bts:subscribe", data = new { channel = Channel } }), cancellationToken);

    protected override async Task RunWhileConnectedAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.HeartbeatInterval, Time);
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            await SendTextAsync(socket, """{"event":"bts:heartbeat"}""", cancellationToken);
        }
    }

    protected override FrameResult Parse(ReadOnlySpan<byte> utf8)
    {
        using var document = ExchangeJson.Parse(utf8);
        var root = document.RootElement;
        switch (ExchangeJson.GetString(root, "event"))
        {
            case "trade":
                if (ExchangeJson.GetString(root, "channel") != Channel
                    || !root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object)
                {
                    return FrameResult.Malformed("trade for another channel or without data");
                }

                // price_str is the exact text; the numeric "price" is only a fallback for old payloads.
                if (!ExchangeJson.TryGetPrice(data, "price_str", out var price) && !ExchangeJson.TryGetPrice(data, "price", out price))
                {
                    return FrameResult.Malformed("trade without a valid price");
                }

                long? timeMs = ExchangeJson.TryGetInt64(data, "microtimestamp", out var micros) ? micros / 1000
                    : ExchangeJson.TryGetInt64(data, "timestamp", out var seconds) ? seconds * 1000 : null;
                return FrameResult.Of(price, timeMs);
            case "bts:subscription_succeeded":
            case "bts:heartbeat":
                return FrameResult.Control("ack");
            case "bts:request_reconnect":
                return FrameResult.Reconnect("bts:request_reconnect");
            case "bts:error":
                return FrameResult.Reconnect(root.TryGetProperty("data", out var error) ? error.ToString() : "bts:error");
            default:
                return FrameResult.Malformed("unknown event");
        }
    }
}
