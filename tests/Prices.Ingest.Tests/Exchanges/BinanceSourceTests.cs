using Microsoft.Extensions.Options;
using Prices.Ingest.Exchanges;
using Prices.Ingest.Tests.Fakes;
using static Prices.Ingest.Tests.Fakes.ExchangeFrames;

namespace Prices.Ingest.Tests.Exchanges;

public sealed class BinanceSourceTests
{
    private static (BinanceSource Source, ListLogger<BinanceSource> Logger) Create(FakeExchangeServer server, BinanceStream stream, decimal rate = 1.0m)
    {
        var logger = new ListLogger<BinanceSource>();
        var options = new BinanceOptions
        {
            Url = server.Url("/ws"),
            Stream = stream,
            QuoteToUsdRate = rate,
            ReconnectInitialDelay = TimeSpan.FromMilliseconds(20),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(100),
        };
        return (new BinanceSource(Options.Create(options), TimeProvider.System, TestMetrics.Create(), logger), logger);
    }

    [Fact]
    public async Task BookTickerGivesTheExactMidConvertedFromUsdtWithTheDeclaredRate()
    {
        await using var server = await FakeExchangeServer.StartAsync();
        var (source, _) = Create(server, BinanceStream.BookTicker, rate: 0.9995m);
        await using var run = new SourceRun(source);
        var connection = await server.NextConnectionAsync();
        Assert.Equal("/ws/btcusdt@bookTicker", connection.Path);

        await connection.SendAllAsync(Binance.BookTicker(400900217, "64000.10000000", "64000.30000000"));

        var tick = await run.NextTickAsync();
        Assert.Equal("binance", tick.Source);
        Assert.Equal("USDT", tick.Quote);
        Assert.Equal(64000.20m * 0.9995m, tick.Price);
        Assert.Equal(63968.19990m, tick.Price);
    }

    [Fact]
    public async Task TradeStreamUsesTheTradePriceAndTime()
    {
        await using var server = await FakeExchangeServer.StartAsync();
        var (source, _) = Create(server, BinanceStream.Trade);
        await using var run = new SourceRun(source);
        var connection = await server.NextConnectionAsync();
        Assert.Equal("/ws/btcusdt@trade", connection.Path);

        await connection.SendAllAsync(Binance.Trade(12345, "64011.99000000", 1732263569061));

        var tick = await run.NextTickAsync();
        Assert.Equal(64011.99m, tick.Price);
        Assert.Equal(1732263569061, tick.ExchangeTimeMs);
    }

    [Fact]
    public async Task CrossedOrMalformedBooksAreSkippedAndAPoliteCloseReconnects()
    {
        await using var server = await FakeExchangeServer.StartAsync();
        var (source, logger) = Create(server, BinanceStream.BookTicker);
        await using var run = new SourceRun(source);
        var connection = await server.NextConnectionAsync();

        await connection.SendAllAsync(
            Binance.BookTicker(1, "64000.30", "64000.10"),     // crossed book
            Binance.BookTicker(2, "", "64000.10"),
            Binance.BookTicker(3, "64000.10", "64000.30", symbol: "ETHUSDT"),
            "{",
            Binance.BookTicker(4, "64000.00", "64001.00"));

        Assert.Equal(64000.50m, (await run.NextTickAsync()).Price);
        Assert.Equal(4, logger.Count("malformed frame skipped"));

        await connection.CloseAsync();
        var again = await server.NextConnectionAsync();
        await again.SendAsync(Binance.BookTicker(5, "64010.00", "64011.00"));
        Assert.Equal(64010.50m, (await run.NextTickAsync()).Price);
        Assert.Equal(1, logger.Count("server closed the connection"));
    }
}
