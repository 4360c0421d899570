using System.Text;
using Bets.Api.Prices;
using Platform.Prices.Contracts;

namespace Bets.Api.Tests;

/// <summary>The price message is defined once (Platform.Prices.Contracts): what Prices.Ingest writes is what Bets.Api reads.</summary>
public sealed class PriceMessageContractTests
{
    private static readonly PriceMessage Message = new("BTC/USD", 64_012.35m, 1_732_240_000_123, "ok",
        [new SourceQuote("coinbase", 64_012.10m, "USD", 1_732_240_000_100), new SourceQuote("kraken", 64_012.60m, "USD", 1_732_240_000_090)],
        "host-1a2b3c", 42);

    [Fact]
    public void AMessageWrittenByTheProducerReadsBackWhole()
    {
        var back = PriceMessage.Parse(Message.ToUtf8Json());

        Assert.Equal((Message.Symbol, Message.Price, Message.Timestamp, Message.Status, Message.Writer, Message.Seq),
            (back.Symbol, back.Price, back.Timestamp, back.Status, back.Writer, back.Seq));
        Assert.Equal(Message.Sources, back.Sources);
        Assert.Equal(Message.ToUtf8Json(), back.ToUtf8Json());
    }

    [Fact]
    public void TheWireFormatIsTheDocumentedOne()
    {
        Assert.Equal(
            """{"symbol":"BTC/USD","price":"64012.35","timestamp":1732240000123,"status":"ok","sources":[{"name":"coinbase","price":"64012.10","quote":"USD","timestamp":1732240000100},{"name":"kraken","price":"64012.60","quote":"USD","timestamp":1732240000090}],"writer":"host-1a2b3c","seq":42,"id":"host-1a2b3c:42"}""",
            Encoding.UTF8.GetString(Message.ToUtf8Json()));
        Assert.Equal("64012.35:host-1a2b3c:42", Message.HistoryMember);
        Assert.Equal(("price:btc:usd", "prices:btc:usd:ts", "prices:btc:usd"), (PriceKeys.Latest, PriceKeys.History, PriceKeys.Channel));
    }

    [Fact]
    public void BetsApiReadsWhatTheProducerWrites()
    {
        Assert.True(PriceFormat.TryParseSnapshot(Encoding.UTF8.GetString(Message.ToUtf8Json()), out var snapshot));
        Assert.Equal((Message.Price, Message.Timestamp, "ok"), (snapshot!.Price, snapshot.Timestamp, snapshot.Status));

        Assert.True(PriceFormat.TryParseHistoryMember(Message.HistoryMember, Message.Timestamp, out var tick));
        Assert.Equal(new PriceTick(Message.Timestamp, Message.Price), tick);
    }

    [Fact]
    public void AMessageThatIsNotAPriceIsRefusedOnBothSides()
    {
        Assert.Throws<FormatException>(() => PriceMessage.Parse("""{"price":"1"}"""u8));
        Assert.False(PriceFormat.TryParseSnapshot("""{"price":"-1","timestamp":1}""", out _));
        Assert.False(PriceFormat.TryParseSnapshot("""{"price":"1","timestamp":"soon"}""", out _));
        Assert.False(PriceFormat.TryParseSnapshot("not json", out _));
    }
}
