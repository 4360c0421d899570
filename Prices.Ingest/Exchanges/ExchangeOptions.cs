using System.ComponentModel.DataAnnotations;

namespace Prices.Ingest.Exchanges;

/// <summary>Settings every WebSocket exchange source shares.</summary>
public class ExchangeOptions
{
    public bool Enabled { get; set; }

    [Required]
    public Uri? Url { get; set; }

    /// <summary>How long a price from this source stays usable in the median.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan Staleness { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A connection with no frame at all (not even a heartbeat) for this long is considered dead and reopened.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>First reconnect delay; doubles per failed attempt (with jitter) up to <see cref="ReconnectMaxDelay"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00")]
    public TimeSpan ReconnectInitialDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(30);
}

public sealed class CoinbaseOptions : ExchangeOptions
{
    public CoinbaseOptions() => Url = new Uri("wss://ws-feed.exchange.coinbase.com");

    [Required]
    public string ProductId { get; set; } = "BTC-USD";
}

public enum BinanceStream
{
    BookTicker,
    Trade,
}

public sealed class BinanceOptions : ExchangeOptions
{
    public BinanceOptions() => Url = new Uri("wss://stream.binance.com:9443/ws");

    /// <summary>Binance has no BTC/USD book with depth; BTCUSDT is quoted in USDT.</summary>
    [Required]
    public string Symbol { get; set; } = "btcusdt";

    public BinanceStream Stream { get; set; } = BinanceStream.BookTicker;

    /// <summary>The quote currency the symbol trades in; anything but USD is converted with <see cref="QuoteToUsdRate"/>.</summary>
    [Required]
    public string Quote { get; set; } = "USDT";

    /// <summary>USD per unit of <see cref="Quote"/>: the declared conversion (1.0 treats USDT at par, as most aggregators do).</summary>
    [Range(typeof(decimal), "0.5", "2")]
    public decimal QuoteToUsdRate { get; set; } = 1.0m;
}

public sealed class KrakenOptions : ExchangeOptions
{
    public KrakenOptions() => Url = new Uri("wss://ws.kraken.com/v2");

    [Required]
    public string Symbol { get; set; } = "BTC/USD";
}

public sealed class BitstampOptions : ExchangeOptions
{
    public BitstampOptions() => Url = new Uri("wss://ws.bitstamp.net");

    [Required]
    public string Pair { get; set; } = "btcusd";

    /// <summary>Bitstamp closes idle connections; the client sends <c>bts:heartbeat</c> this often.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(10);
}
