using System.Text.Json;
using Microsoft.Extensions.Options;
using Prices.Ingest.Exchanges;
using Prices.Ingest.Tests.Fakes;
using static Prices.Ingest.Tests.Fakes.ExchangeFrames;

namespace Prices.Ingest.Tests.Exchanges;

public sealed class CoinbaseSourceTests
{
    private static (CoinbaseSource Source, ListLogger<CoinbaseSource> Logger) Create(FakeExchangeServer server)
    {
        var logger = new ListLogger<CoinbaseSource>();
        var options = new CoinbaseOptions
        {
            Url = server.Url("/"),
            ReconnectInitialDelay = TimeSpan.FromMilliseconds(20),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(100),
        };
        return (new CoinbaseSource(Options.Create(options), TimeProvider.System, TestMetrics.Create(), logger), logger);
    }

    [Fact]
    public async Task SubscribesToTickerAndHeartbeatAndParsesPricesExactly()
    {
        await using var server = await FakeExchangeServer.StartAsync();
        var (source, _) = Create(server);
        await using var run = new SourceRun(source);
        var connection = await server.NextConnectionAsync();

        using var subscribe = JsonDocument.Parse(await connection.ReceiveAsync());
        Assert.Equal("subscribe", subscribe.RootElement.GetProperty("type").GetString());
        Assert.Equal(["BTC-USD"], subscribe.RootElement.GetProperty("product_ids").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["ticker", "heartbeat"], subscribe.RootElement.GetProperty("channels").EnumerateArray().Select(e => e.GetString()));

        // 28 significant digits: a double would round this, a decimal keeps every digit.
        await connection.SendAllAsync(Coinbase.Subscriptions(), Coinbase.Heartbeat(1), Coinbase.Ticker(2, "64012.10"),
            Coinbase.Ticker(3, "64012.12345678901234567891234"));

        var first = await run.NextTickAsync();
        Assert.Equal("coinbase", first.Source);
        Assert.Equal(64012.10m, first.Price);
        Assert.Equal("64012.10", first.Price.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(DateTimeOffset.Parse("2024-11-22T08:19:29.061769Z", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds(), first.ExchangeTimeMs);
        Assert.Equal("USD", first.Quote);
        Assert.Equal(64012.12345678901234567891234m, (await run.NextTickAsync()).Price);
    }

    [Fact]
    public async Task CountsSequenceGapsAndDropsOutOfOrderMessages()
    {
        await using var server = await FakeExchangeServer.StartAsync();
        var (source, _) = Create(server);
        await using var run = new SourceRun(source);
        var connection = await server.NextConnectionAsync();
        await connection.ReceiveAsync();

        await connection.SendAllAsync(Coinbase.Ticker(10, "64000.00"), Coinbase.Heartbeat(11), Coinbase.Ticker(15, "64001.00"),
            Coinbase.Ticker(14, "1.00"), Coinbase.Ticker(15, "2.00"), Coinbase.Ticker(16, "64002.00"));

        Assert.Equal(64000.00m, (await run.NextTickAsync()).Price);
        Assert.Equal(64001.00m, (await run.NextTickAsync()).Price);
        Assert.Equal(64002.00m, (await run.NextTickAsync()).Price);
        Assert.Equal(3, source.MissedSequences);
    }

    [Fact]
    public async Task MalformedFramesAreLoggedAndSkipped()
    {
        await using var server = await FakeExchangeServer.StartAsync();
        var (source, logger) = Create(server);
        await using var run = new SourceRun(source);
        var connection = await server.NextConnectionAsync();
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

        Assert.Equal(64003.50m, (await run.NextTickAsync()).Price);
        Assert.Equal(9, logger.Count("malformed frame skipped"));
        Assert.False(run.TryReadTick(out _));
    }

    [Fact]
    public async Task ReconnectsAndResubscribesAfterTheExchangeDropsTheConnection()
    {
        await using var server = await FakeExchangeServer.StartAsync();
        var (source, logger) = Create(server);
        await using var run = new SourceRun(source);
        var first = await server.NextConnectionAsync();
        await first.ReceiveAsync();
        await first.SendAsync(Coinbase.Ticker(100, "64000.00"));
        Assert.Equal(64000.00m, (await run.NextTickAsync()).Price);

        first.Abort();
        var second = await server.NextConnectionAsync();
        Assert.Contains("subscribe", await second.ReceiveAsync(), StringComparison.Ordinal);
        // A new connection starts a new sequence run: a lower number is not "out of order".
        await second.SendAsync(Coinbase.Ticker(7, "64100.00"));
        Assert.Equal(64100.00m, (await run.NextTickAsync()).Price);

        await second.SendAsync(Coinbase.Error("Failed to subscribe"));
        var third = await server.NextConnectionAsync();
        await third.ReceiveAsync();
        Assert.Equal(3, source.Connections);
        Assert.Equal(1, logger.Count("connection lost"));
        Assert.Equal(1, logger.Count("reconnecting at the exchange's request"));
    }
}
