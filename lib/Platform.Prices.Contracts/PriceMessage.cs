using System.Buffers;
using System.Globalization;
using System.Text.Json;
namespace Platform.Prices.Contracts;

/// <summary>
/// The published price (the value of <c>price:btc:usd</c> and every message on channel <c>prices:btc:usd</c>):
/// <code>
/// {"symbol":"BTC/USD","price":"64012.35","timestamp":1732240000123,"status":"ok",
///  "sources":[{"name":"coinbase","price":"64012.10","quote":"USD","timestamp":1732240000100}],
///  "writer":"host-1a2b3c","seq":42,"id":"host-1a2b3c:42"}
/// </code>
/// Prices are decimal strings (exact), timestamps unix milliseconds, status "ok" or "stale". Prices.Ingest writes it;
/// Bets.Api (and whoever else subscribes) reads it with <see cref="TryReadHeadline"/>, which asks only for what a
/// consumer needs and tolerates the rest, or with <see cref="Parse"/>, which checks the whole schema.
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

    /// <summary>
    /// What a consumer needs of a message: its price (a decimal string, or a JSON number from older writers), timestamp
    /// and status ("ok" when absent). Other members are ignored, so writers may add some. False when it is not JSON,
    /// not an object, or lacks a positive price or an integer timestamp.
    /// </summary>
    public static bool TryReadHeadline(string? json, out decimal price, out long timestamp, out string status)
    {
        (price, timestamp, status) = (0, 0, "ok");
        if (string.IsNullOrWhiteSpace(json))
        {
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !TryReadPrice(root, out price))
            {
                return false;
            }

            if (!root.TryGetProperty("timestamp", out var ts) || ts.ValueKind != JsonValueKind.Number || !ts.TryGetInt64(out timestamp))
            {
                return false;
            }

            if (root.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String)
            {
                status = s.GetString()!;
            }

            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>
    /// Reads a member of the history sorted set: <see cref="HistoryMember"/> ("&lt;price&gt;:&lt;writer&gt;:&lt;seq&gt;"),
    /// and the shapes other writers have used: a whole message as JSON, or "&lt;unix ms&gt;:&lt;price&gt;[:…]". The
    /// score (unix ms) is the tick's time unless the JSON carries one.
    /// </summary>
    public static bool TryReadHistoryMember(string? member, double score, out long timestamp, out decimal price)
    {
        (timestamp, price) = (0, 0);
        if (string.IsNullOrEmpty(member))
        {
            return false;
        }

        if (member[0] == '{')
        {
            return TryReadHeadline(member, out price, out timestamp, out _);
        }

        var parts = member.Split(':');
        var at = (long)score;
        // A leading integer equal to the score is a timestamp; otherwise the first field is the price.
        var priceField = parts.Length >= 2 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
                         && (ms == at || (ms > 100_000_000_000 && Math.Abs(ms - at) < 86_400_000)) ? parts[1] : parts[0];
        if (parts.Length >= 2 && decimal.TryParse(priceField, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out price) && price > 0)
        {
            timestamp = at;
            return true;
        }
        price = 0;
        return false;
    }

    private static bool TryReadPrice(JsonElement root, out decimal price)
    {
        price = 0;
        if (!root.TryGetProperty("price", out var p))
        {
            return false;
        }

        var ok = p.ValueKind switch
        {
            JsonValueKind.String => decimal.TryParse(p.GetString(), NumberStyles.Number, CultureInfo.InvariantCulture, out price),
            JsonValueKind.Number => p.TryGetDecimal(out price),
            _ => false,
        };
        return ok && price > 0;
    }

    public static string Format(decimal value) => value.ToString(CultureInfo.InvariantCulture);

    private static decimal ParseDecimal(string? text) =>
        decimal.Parse(text ?? throw new FormatException("missing price"), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
}

public readonly record struct SourceQuote(string Name, decimal Price, string Quote, long Timestamp);

/// <summary>Where the price travels in Redis (the design's key table).</summary>
public static class PriceKeys
{
    /// <summary>The latest message (string, <see cref="LatestTtl"/>).</summary>
    public const string Latest = "price:btc:usd";

    public static readonly TimeSpan LatestTtl = TimeSpan.FromHours(1);

    /// <summary>The history: a sorted set of <see cref="PriceMessage.HistoryMember"/>s scored by unix ms, kept 7 days.</summary>
    public const string History = "prices:btc:usd:ts";

    /// <summary>The pub/sub channel every message is published on.</summary>
    public const string Channel = "prices:btc:usd";
}
