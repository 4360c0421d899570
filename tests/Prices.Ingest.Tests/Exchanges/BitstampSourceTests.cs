using System.Text.Json;
using Microsoft.Extensions.Options;
using Prices.Ingest.Exchanges;
using Prices.Ingest.Tests.Fakes;
using static Prices.Ingest.Tests.Fakes.ExchangeFrames;

namespace Prices.Ingest.Tests.Exchanges;

public sealed class BitstampSourceTests
{
    private static (BitstampSource Source, ListLogger<BitstampSource> Logger) Create(FakeExchangeServer server)
    {
        var logger = new ListLogger<BitstampSource>();
        var options = new BitstampOptions
        {
            Url = server.Url("/"),
            HeartbeatInterval = TimeSpan.FromMilliseconds(200),
            ReconnectInitialDelay = TimeSpan.FromMilliseconds(20),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(100),
        };
        return (new BitstampSource(Options.Create(options), TimeProvider.System, TestMetrics.Create(), logger), logger);
    }

    [Fact]
    public async Task SubscribesToLiveTradesSendsHeartbeatsAndParsesPriceStr()
    {
        await using var server = await FakeExchangeServer.StartAsync();
        var (source, _) = Create(server);
        await using var run = new SourceRun(source);
        var connection = await server.NextConnectionAsync();

        using (var subscribe = JsonDocument.Parse(await connection.ReceiveAsync()))
        {
            Assert.Equal("bts:subscribe", subscribe.RootElement.GetProperty("event").GetString());
            Assert.Equal("live_trades_btcusd", subscribe.RootElement.GetProperty("data").GetProperty("channel").GetString());
        }

        await connection.SendAllAsync(Bitstamp.SubscriptionSucceeded(), Bitstamp.Trade(1, "64012.37"));
        var tick = await run.NextTickAsync();
        Assert.Equal(64012.37m, tick.Price);
        Assert.Equal(1732263569061, tick.ExchangeTimeMs);

        Assert.Equal("""{"event":"bts:heartbeat"}""", await connection.ReceiveAsync());
        await connection.SendAsync(Bitstamp.HeartbeatAck());
    }

    [Fact]
    public async Task ReconnectsWhenBitstampRequestsItAndSkipsMalformedTrades()
    {
        await using var server = await FakeExchangeServer.StartAsync();
        var (source, logger) = Create(server);
        await using var run = new SourceRun(source);
        var first = await server.NextConnectionAsync();
        await first.ReceiveAsync();

        await first.SendAllAsync(
            Bitstamp.Trade(1, "64000.00", channel: "live_trades_ethusd"),
            """{"event":"trade","channel":"live_trades_btcusd","data":{"id":2,"price_str":"1,000.00"}}""",
            """{"event":"trade","channel":"live_trades_btcusd"}""",
            Bitstamp.Trade(3, "64000.01"),
            Bitstamp.RequestReconnect());
        Assert.Equal(64000.01m, (await run.NextTickAsync()).Price);
        Assert.Equal(3, logger.Count("malformed frame skipped"));

        var second = await server.NextConnectionAsync();
        Assert.Contains("bts:subscribe", await second.ReceiveAsync(), StringComparison.Ordinal);
        await second.SendAsync(Bitstamp.Trade(4, "64000.02"));
        Assert.Equal(64000.02m, (await run.NextTickAsync()).Price);
        Assert.Equal(1, logger.Count("reconnecting at the exchange's request"));
    }
}
