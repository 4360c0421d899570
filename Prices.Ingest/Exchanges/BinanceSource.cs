using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Prices.Ingest.Exchanges;

/// <summary>
/// Binance raw streams at <c>/ws/&lt;symbol&gt;@bookTicker</c> (mid of best bid/ask) or <c>@trade</c> (last trade).
/// The symbol is quoted in USDT: each price is converted with the declared rate and its quote is reported as USDT.
/// Binance's keep-alive pings are WebSocket control frames, answered by the socket itself.
/// </summary>
public sealed class BinanceSource(IOptions<BinanceOptions> options, TimeProvider time, PricesMetrics metrics, ILogger<BinanceSource> logger)
    : WebSocketPriceSource("binance", options.Value, time, metrics, logger)
{
    private readonly BinanceOptions _options = options.Value;

    protected override string Quote => _options.Quote.ToUpperInvariant();

    protected override decimal ToUsd(decimal price) => price * _options.QuoteToUsdRate;

    protected override Uri BuildUri(Uri configured)
    {
        var stream = _options.Stream == BinanceStream.Trade ? "trade" : "bookTicker";
        return new Uri($"{configured.ToString().TrimEnd('/')}/{_options.Symbol.ToLowerInvariant()}@{stream}");
    }

    // The stream name in the URL is the subscription.
    protected override Task OnConnectedAsync(WebSocket socket, CancellationToken cancellationToken) => Task.CompletedTask;

    protected override FrameResult Parse(ReadOnlySpan<byte> utf8)
    {
        using var document = ExchangeJson.Parse(utf8);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return FrameResult.Malformed("not an object");
        }

        // Combined-stream endpoints wrap the payload as {"stream": ..., "data": {...}}.
        if (root.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object)
        {
            root = data;
        }

        if (!string.Equals(ExchangeJson.GetString(root, "s"), _options.Symbol, StringComparison.OrdinalIgnoreCase))
        {
            return root.TryGetProperty("result", out _) ? FrameResult.Control("response") : FrameResult.Malformed("no or other symbol");
        }

        if (_options.Stream == BinanceStream.Trade)
        {
            if (ExchangeJson.GetString(root, "e") != "trade")
            {
                return FrameResult.Malformed("not a trade event");
            }

            return ExchangeJson.TryGetPrice(root, "p", out var price)
                ? FrameResult.Of(price, ExchangeJson.TryGetInt64(root, "T", out var tradeTime) ? tradeTime : null)
                : FrameResult.Malformed("trade without a valid price");
        }

        if (!ExchangeJson.TryGetPrice(root, "b", out var bid) || !ExchangeJson.TryGetPrice(root, "a", out var ask) || ask < bid)
        {
            return FrameResult.Malformed("bookTicker without a valid bid/ask");
        }

        // Futures and newer spot payloads carry the event time "E"; the classic spot bookTicker has none.
        return FrameResult.Of((bid + ask) / 2, ExchangeJson.TryGetInt64(root, "E", out var eventTime) ? eventTime : null);
    }
}
