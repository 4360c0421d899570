using System.Text.Json;
using Prices.Ingest.Exchanges;
using Prices.Ingest.Tests.Fakes;
using static Prices.Ingest.Tests.Fakes.ExchangeFrames;

namespace Prices.Ingest.Tests.Exchanges;

public sealed class CoinbaseSourceTests
{
    private static Task<ExchangeHarness<CoinbaseSource>> StartAsync() =>
        ExchangeHarness.StartAsync<CoinbaseOptions, CoinbaseSource>("/", (o, t, m, l) => new CoinbaseSource(o, t, m, l));

    [Fact]
    public async Task SubscribesToTickerAndHeartbeatAndParsesPricesExactly()
    {
        await using var exchange = await StartAsync();
        var connection = await exchange.NextConnectionAsync();

        using var subscribe = JsonDocument.Parse(await connection.ReceiveAsync());
        Assert.Equal("subscribe", subscribe.RootElement.GetProperty("type").GetString());
        Assert.Equal(["BTC-USD"], subscribe.RootElement.GetProperty("product_ids").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["ticker", "heartbeat"], subscribe.RootElement.GetProperty("channels").EnumerateArray().Select(e => e.GetString()));

        // 28 significant digits: a double would round this, a decimal keeps every digit.
        await connection.SendAllAsync(Coinbase.Subscriptions(), Coinbase.Heartbeat(1), Coinbase.Ticker(2, "64012.10"),
            Coinbase.Ticker(3, "64012.12345678901234567891234"));

        var first = await exchange.NextTickAsync();
        Assert.Equal("coinbase", first.Source);
        Assert.Equal(64012.10m, first.Price);
        Assert.Equal("64012.10", first.Price.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(DateTimeOffset.Parse("2024-11-22T08:19:29.061769Z", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds(), first.ExchangeTimeMs);
        Assert.Equal("USD", first.Quote);
        Assert.Equal(64012.12345678901234567891234m, (await exchange.NextTickAsync()).Price);
    }

    [Fact]
    public async Task CountsSequenceGapsAndDropsOutOfOrderMessages()
    {
        await using var exchange = await StartAsync();
        var connection = await exchange.NextConnectionAsync();
        await connection.ReceiveAsync();

        await connection.SendAllAsync(Coinbase.Ticker(10, "64000.00"), Coinbase.Heartbeat(11), Coinbase.Ticker(15, "64001.00"),
            Coinbase.Ticker(14, "1.00"), Coinbase.Ticker(15, "2.00"), Coinbase.Ticker(16, "64002.00"));

        Assert.Equal(64000.00m, (await exchange.NextTickAsync()).Price);
        Assert.Equal(64001.00m, (await exchange.NextTickAsync()).Price);
        Assert.Equal(64002.00m, (await exchange.NextTickAsync()).Price);
        Assert.Equal(3, exchange.Source.MissedSequences);
    }

    [Fact]
    public async Task MalformedFramesAreLoggedAndSkipped()
    {
        await using var exchange = await StartAsync();
        var connection = await exchange.NextConnectionAsync();
        await connection.ReceiveAsync();

        await connection.SendAllAsync(
            """{"type":"ticker","sequence":1,"product_id":"BTC-USD","price":""",    // truncated JSON
            Coinbase.Ticker(2, "not-a-number"),
            Coinbase.Ticker(3, "-5.00"),
            Coinbase.Ticker(4, "1e400"),
            """{"type":"ticker","product_id":"BTC-USD","price":"1.00"}""",        // no sequence
            Coinbase.Ticker(5, "64000.00", product: "ETH-USD"),
            """{"type":"mystery"}""",
            "[]");
        await connection.SendBinaryAsync([1, 2, 3]);
        await connection.SendAsync(Coinbase.Ticker(6, "64003.50"));

        Assert.Equal(64003.50m, (await exchange.NextTickAsync()).Price);
        Assert.Equal(9, exchange.Logger.Count("malformed frame skipped"));
        Assert.False(exchange.Run.TryReadTick(out _));
    }

    [Fact]
    public async Task ReconnectsAndResubscribesAfterTheExchangeDropsTheConnection()
    {
        await using var exchange = await StartAsync();
        var first = await exchange.NextConnectionAsync();
        await first.ReceiveAsync();
        await first.SendAsync(Coinbase.Ticker(100, "64000.00"));
        Assert.Equal(64000.00m, (await exchange.NextTickAsync()).Price);

        first.Abort();
        var second = await exchange.NextConnectionAsync();
        Assert.Contains("subscribe", await second.ReceiveAsync(), StringComparison.Ordinal);
        // A new connection starts a new sequence run: a lower number is not "out of order".
        await second.SendAsync(Coinbase.Ticker(7, "64100.00"));
        Assert.Equal(64100.00m, (await exchange.NextTickAsync()).Price);

        await second.SendAsync(Coinbase.Error("Failed to subscribe"));
        var third = await exchange.NextConnectionAsync();
        await third.ReceiveAsync();
        Assert.Equal(3, exchange.Source.Connections);
        Assert.Equal(1, exchange.Logger.Count("connection lost"));
        Assert.Equal(1, exchange.Logger.Count("reconnecting at the exchange's request"));
    }
}
