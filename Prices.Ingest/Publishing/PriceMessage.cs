using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Prices.Ingest.Exchanges;

namespace Prices.Ingest.Publishing;

/// <summary>
/// The published price (the value of <c>price:btc:usd</c> and every message on channel <c>prices:btc:usd</c>):
/// <code>
/// {"symbol":"BTC/USD","price":"64012.35","timestamp":1732240000123,"status":"ok",
///  "sources":[{"name":"coinbase","price":"64012.10","quote":"USD","timestamp":1732240000100}],
///  "writer":"host-1a2b3c","seq":42,"id":"host-1a2b3c:42"}
/// </code>
/// Prices are decimal strings (exact), timestamps unix milliseconds, status "ok" or "stale".
/// </summary>
public sealed record PriceMessage(
    string Symbol,
    decimal Price,
    long Timestamp,
    string Status,
    IReadOnlyList<SourceQuote> Sources,
    string Writer,
    long Seq)
{
    /// <summary>In-process only (not serialised): <see cref="TimeProvider.GetTimestamp"/> at the arrival of the oldest new tick behind this price (0 for a cadence emit).</summary>
    public long TriggerTimestamp { get; init; }

    /// <summary>Unique per tick: the writer instance and its sequence number.</summary>
    public string Id => $"{Writer}:{Seq}";

    /// <summary>
    /// The sorted-set member for this tick: <c>&lt;price&gt;:&lt;id&gt;</c>. The price is the text before the first ':',
    /// so the history is readable without a second lookup, and the id makes a repeated price a new member.
    /// </summary>
    public string HistoryMember => $"{Format(Price)}:{Id}";

    public byte[] ToUtf8Json()
    {
        var buffer = new ArrayBufferWriter<byte>(256 + Sources.Count * 96);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("symbol", Symbol);
            writer.WriteString("price", Format(Price));
            writer.WriteNumber("timestamp", Timestamp);
            writer.WriteString("status", Status);
            writer.WriteStartArray("sources");
            foreach (var source in Sources)
            {
                writer.WriteStartObject();
                writer.WriteString("name", source.Name);
                writer.WriteString("price", Format(source.Price));
                writer.WriteString("quote", source.Quote);
                writer.WriteNumber("timestamp", source.Timestamp);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteString("writer", Writer);
            writer.WriteNumber("seq", Seq);
            writer.WriteString("id", Id);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads a message back (consumers and tests); throws <see cref="FormatException"/> on anything off-schema.</summary>
    public static PriceMessage Parse(ReadOnlySpan<byte> utf8Json)
    {
        try
        {
            var reader = new Utf8JsonReader(utf8Json);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            var sources = root.GetProperty("sources").EnumerateArray()
                .Select(s => new SourceQuote(
                    s.GetProperty("name").GetString()!,
                    ParseDecimal(s.GetProperty("price").GetString()),
                    s.GetProperty("quote").GetString()!,
                    s.GetProperty("timestamp").GetInt64()))
                .ToList();
            return new PriceMessage(
                root.GetProperty("symbol").GetString()!,
                ParseDecimal(root.GetProperty("price").GetString()),
                root.GetProperty("timestamp").GetInt64(),
                root.GetProperty("status").GetString()!,
                sources,
                root.GetProperty("writer").GetString()!,
                root.GetProperty("seq").GetInt64());
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new FormatException("not a price message: " + ex.Message, ex);
        }
    }

    public static string Format(decimal value) => value.ToString(CultureInfo.InvariantCulture);

    private static decimal ParseDecimal(string? text) =>
        decimal.Parse(text ?? throw new FormatException("missing price"), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
}

public readonly record struct SourceQuote(string Name, decimal Price, string Quote, long Timestamp)
{
    public static SourceQuote From(in PriceTick tick) => new(tick.Source, tick.Price, tick.Quote, tick.ExchangeTimeMs);
}
