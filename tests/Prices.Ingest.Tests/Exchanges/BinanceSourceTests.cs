using Prices.Ingest.Exchanges;
using Prices.Ingest.Tests.Fakes;
using static Prices.Ingest.Tests.Fakes.ExchangeFrames;

namespace Prices.Ingest.Tests.Exchanges;

public sealed class BinanceSourceTests
{
    private static Task<ExchangeHarness<BinanceSource>> StartAsync(BinanceStream stream, decimal rate = 1.0m) =>
        ExchangeHarness.StartAsync<BinanceOptions, BinanceSource>("/ws", (o, t, m, l) => new BinanceSource(o, t, m, l), o =>
        {
            o.Stream = stream;
            o.QuoteToUsdRate = rate;
        });

    [Fact]
    public async Task BookTickerGivesTheExactMidConvertedFromUsdtWithTheDeclaredRate()
    {
        await using var exchange = await StartAsync(BinanceStream.BookTicker, rate: 0.9995m);
        var connection = await exchange.NextConnectionAsync();
        Assert.Equal("/ws/btcusdt@bookTicker", connection.Path);

        await connection.SendAllAsync(Binance.BookTicker(400900217, "64000.10000000", "64000.30000000"));

        var tick = await exchange.NextTickAsync();
        Assert.Equal("binance", tick.Source);
        Assert.Equal("USDT", tick.Quote);
        Assert.Equal(64000.20m * 0.9995m, tick.Price);
        Assert.Equal(63968.19990m, tick.Price);
    }

    [Fact]
    public async Task TradeStreamUsesTheTradePriceAndTime()
    {
        await using var exchange = await StartAsync(BinanceStream.Trade);
        var connection = await exchange.NextConnectionAsync();
        Assert.Equal("/ws/btcusdt@trade", connection.Path);

        await connection.SendAllAsync(Binance.Trade(12345, "64011.99000000", 1732263569061));

        var tick = await exchange.NextTickAsync();
        Assert.Equal(64011.99m, tick.Price);
        Assert.Equal(1732263569061, tick.ExchangeTimeMs);
    }

    [Fact]
    public async Task CrossedOrMalformedBooksAreSkippedAndAPoliteCloseReconnects()
    {
        await using var exchange = await StartAsync(BinanceStream.BookTicker);
        var connection = await exchange.NextConnectionAsync();

        await connection.SendAllAsync(
            Binance.BookTicker(1, "64000.30", "64000.10"),     // crossed book
            Binance.BookTicker(2, "", "64000.10"),
            Binance.BookTicker(3, "64000.10", "64000.30", symbol: "ETHUSDT"),
            "{",
            Binance.BookTicker(4, "64000.00", "64001.00"));

        Assert.Equal(64000.50m, (await exchange.NextTickAsync()).Price);
        Assert.Equal(4, exchange.Logger.Count("malformed frame skipped"));

        await connection.CloseAsync();
        var again = await exchange.NextConnectionAsync();
        await again.SendAsync(Binance.BookTicker(5, "64010.00", "64011.00"));
        Assert.Equal(64010.50m, (await exchange.NextTickAsync()).Price);
        Assert.Equal(1, exchange.Logger.Count("server closed the connection"));
    }
}
