using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Prices.Ingest.Exchanges;

/// <summary>
/// Kraken WebSocket API v2, <c>ticker</c> channel. Kraken v2 sends prices as JSON numbers; they are read from the number
/// token's text, so 64012.1 is exactly 64012.1. Heartbeats and status frames keep the connection alive.
/// </summary>
public sealed class KrakenSource(IOptions<KrakenOptions> options, TimeProvider time, PricesMetrics metrics, ILogger<KrakenSource> logger)
    : WebSocketPriceSource("kraken", options.Value, time, metrics, logger)
{
    private readonly KrakenOptions _options = options.Value;

    protected override Task OnConnectedAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        var subscribe = JsonSerializer.Serialize(new
        {
            method = "subscribe",
            @params = new { channel = "ticker", symbol = new[] { _options.Symbol } },
        });
        return SendTextAsync(socket, subscribe, cancellationToken);
    }

    protected override FrameResult Parse(ReadOnlySpan<byte> utf8)
    {
        using var document = ExchangeJson.Parse(utf8);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return FrameResult.Malformed("not an object");
        }

        if (ExchangeJson.GetString(root, "method") is { } method)
        {
            // {"method":"subscribe","success":false,"error":"..."}: retrying on a fresh connection is all we can do.
            return root.TryGetProperty("success", out var success) && success.ValueKind == JsonValueKind.False
                ? FrameResult.Reconnect(ExchangeJson.GetString(root, "error") ?? $"{method} failed")
                : FrameResult.Control(method);
        }

        switch (ExchangeJson.GetString(root, "channel"))
        {
            case "heartbeat":
            case "status":
                return FrameResult.Control("heartbeat");
            case "ticker":
                if (!root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
                {
                    return FrameResult.Malformed("ticker without data");
                }

                foreach (var item in data.EnumerateArray())
                {
                    if (ExchangeJson.GetString(item, "symbol") == _options.Symbol)
                    {
                        return ExchangeJson.TryGetPrice(item, "last", out var last)
                            ? FrameResult.Of(last, ExchangeJson.GetIsoTimeMs(item, "timestamp"))
                            : FrameResult.Malformed("ticker without a valid last price");
                    }
                }

                return FrameResult.Malformed("ticker for another symbol");
            default:
                return FrameResult.Malformed("unknown channel");
        }
    }
}
