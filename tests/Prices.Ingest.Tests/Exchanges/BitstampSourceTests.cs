using System.Text.Json;
using Prices.Ingest.Exchanges;
using Prices.Ingest.Tests.Fakes;
using static Prices.Ingest.Tests.Fakes.ExchangeFrames;

namespace Prices.Ingest.Tests.Exchanges;

public sealed class BitstampSourceTests
{
    private static Task<ExchangeHarness<BitstampSource>> StartAsync() =>
        ExchangeHarness.StartAsync<BitstampOptions, BitstampSource>("/", (o, t, m, l) => new BitstampSource(o, t, m, l), o => o.HeartbeatInterval = TimeSpan.FromMilliseconds(200));

    [Fact]
    public async Task SubscribesToLiveTradesSendsHeartbeatsAndParsesPriceStr()
    {
        await using var exchange = await StartAsync();
        var connection = await exchange.NextConnectionAsync();

        using (var subscribe = JsonDocument.Parse(await connection.ReceiveAsync()))
        {
            Assert.Equal("bts:subscribe", subscribe.RootElement.GetProperty("event").GetString());
            Assert.Equal("live_trades_btcusd", subscribe.RootElement.GetProperty("data").GetProperty("channel").GetString());
        }

        await connection.SendAllAsync(Bitstamp.SubscriptionSucceeded(), Bitstamp.Trade(1, "64012.37"));
        var tick = await exchange.NextTickAsync();
        Assert.Equal(64012.37m, tick.Price);
        Assert.Equal(1732263569061, tick.ExchangeTimeMs);

        Assert.Equal("""{"event":"bts:heartbeat"}""", await connection.ReceiveAsync());
        await connection.SendAsync(Bitstamp.HeartbeatAck());
    }

    [Fact]
    public async Task ReconnectsWhenBitstampRequestsItAndSkipsMalformedTrades()
    {
        await using var exchange = await StartAsync();
        var first = await exchange.NextConnectionAsync();
        await first.ReceiveAsync();

        await first.SendAllAsync(
            Bitstamp.Trade(1, "64000.00", channel: "live_trades_ethusd"),
            """{"event":"trade","channel":"live_trades_btcusd","data":{"id":2,"price_str":"1,000.00"}}""",
            """{"event":"trade","channel":"live_trades_btcusd"}""",
            Bitstamp.Trade(3, "64000.01"),
            Bitstamp.RequestReconnect());
        Assert.Equal(64000.01m, (await exchange.NextTickAsync()).Price);
        Assert.Equal(3, exchange.Logger.Count("malformed frame skipped"));

        var second = await exchange.NextConnectionAsync();
        Assert.Contains("bts:subscribe", await second.ReceiveAsync(), StringComparison.Ordinal);
        await second.SendAsync(Bitstamp.Trade(4, "64000.02"));
        Assert.Equal(64000.02m, (await exchange.NextTickAsync()).Price);
        Assert.Equal(1, exchange.Logger.Count("reconnecting at the exchange's request"));
    }
}
