using System.Text.Json;
using Platform.TestSupport;
using Prices.Ingest.Exchanges;
using Prices.Ingest.Tests.Fakes;
using static Prices.Ingest.Tests.Fakes.ExchangeFrames;

namespace Prices.Ingest.Tests.Exchanges;

public sealed class KrakenSourceTests
{
    private static Task<ExchangeHarness<KrakenSource>> StartAsync(TimeSpan? idleTimeout = null) =>
        ExchangeHarness.StartAsync<KrakenOptions, KrakenSource>(
            "/v2", (o, t, m, l) => new KrakenSource(o, t, m, l), o => o.IdleTimeout = idleTimeout ?? TimeSpan.FromSeconds(30));

    [Fact]
    public async Task SubscribesWithV2SyntaxAndReadsNumberTokensWithoutDoubleRounding()
    {
        await using var exchange = await StartAsync();
        var connection = await exchange.NextConnectionAsync();
        await connection.SendAsync(Kraken.Status());

        using var subscribe = JsonDocument.Parse(await connection.ReceiveAsync());
        Assert.Equal("subscribe", subscribe.RootElement.GetProperty("method").GetString());
        Assert.Equal("ticker", subscribe.RootElement.GetProperty("params").GetProperty("channel").GetString());
        Assert.Equal("BTC/USD", subscribe.RootElement.GetProperty("params").GetProperty("symbol")[0].GetString());

        // 64012.1 has no exact double; as a decimal parsed from the token text it stays 64012.1 (scale 1).
        await connection.SendAllAsync(Kraken.SubscribeAck(), Kraken.Ticker("64012.1", type: "snapshot"), Kraken.Heartbeat(),
            Kraken.Ticker("64012.123456789012345678"));

        var snapshot = await exchange.NextTickAsync();
        Assert.Equal(64012.1m, snapshot.Price);
        Assert.Equal("64012.1", snapshot.Price.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(64012.123456789012345678m, (await exchange.NextTickAsync()).Price);
    }

    [Fact]
    public async Task OtherSymbolsAndMalformedTickersAreSkipped()
    {
        await using var exchange = await StartAsync();
        var connection = await exchange.NextConnectionAsync();
        await connection.ReceiveAsync();

        await connection.SendAllAsync(
            Kraken.Ticker("3100.5", symbol: "ETH/USD"),
            """{"channel":"ticker","type":"update","data":[{"symbol":"BTC/USD","last":"oops"}]}""",
            """{"channel":"ticker","type":"update"}""",
            "not json at all",
            Kraken.Ticker("64000.5"));

        Assert.Equal(64000.5m, (await exchange.NextTickAsync()).Price);
        Assert.Equal(4, exchange.Logger.Count("malformed frame skipped"));
    }

    [Fact]
    public async Task ASilentConnectionIsReopenedAfterTheIdleTimeoutAndAFailedSubscribeRetries()
    {
        await using var exchange = await StartAsync(idleTimeout: TimeSpan.FromMilliseconds(300));
        var first = await exchange.NextConnectionAsync();
        await first.ReceiveAsync();

        // No frame at all, not even a heartbeat: the client gives up on the connection and opens a new one.
        var second = await exchange.NextConnectionAsync();
        await second.ReceiveAsync();
        Assert.Equal(1, exchange.Logger.Count("no frame for"));

        await second.SendAsync(Kraken.SubscribeError("Currency pair not supported"));
        var third = await exchange.NextConnectionAsync();
        await third.ReceiveAsync();
        await third.SendAsync(Kraken.Ticker("64001"));
        Assert.Equal(64001m, (await exchange.NextTickAsync()).Price);
    }

    [Fact]
    public async Task AnUnreachableExchangeIsRetriedWithBackoffUntilItAnswers()
    {
        // A port nobody listens on: every attempt is refused, the source keeps trying without failing.
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var (source, logger) = ExchangeHarness.Create<KrakenOptions, KrakenSource>(
            new Uri($"ws://127.0.0.1:{port}/v2"), (o, t, m, l) => new KrakenSource(o, t, m, l), o =>
            {
                o.ReconnectInitialDelay = TimeSpan.FromMilliseconds(10);
                o.ReconnectMaxDelay = TimeSpan.FromMilliseconds(40);
            });
        await using (new SourceRun(source))
        {
            await Eventually.UntilAsync(() => logger.Count("connection lost") >= 3, "three 'connection lost' logs", TestContext.Current.CancellationToken);
        }

        Assert.Equal(0, source.Connections);
        Assert.True(logger.Count("reconnecting in") >= 3);
    }
}
