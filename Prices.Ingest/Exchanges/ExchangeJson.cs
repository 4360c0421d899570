using System.Globalization;
using System.Text.Json;

namespace Prices.Ingest.Exchanges;

/// <summary>Exact parsing helpers for exchange JSON: decimals from their text (string or number token), never via double.</summary>
internal static class ExchangeJson
{
    private const NumberStyles DecimalStyle = NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent;

    /// <summary>Parses one frame without copying it; a truncated or invalid frame throws <see cref="JsonException"/>.</summary>
    public static JsonDocument Parse(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8);
        return JsonDocument.ParseValue(ref reader);
    }

    /// <summary>A strictly positive price from a JSON string ("64012.10") or number token (64012.10).</summary>
    public static bool TryGetPrice(JsonElement element, string property, out decimal price)
    {
        price = 0;
        if (!element.TryGetProperty(property, out var value))
        {
            return false;
        }

        var ok = value.ValueKind switch
        {
            JsonValueKind.String => decimal.TryParse(value.GetString(), DecimalStyle, CultureInfo.InvariantCulture, out price),
            // GetDecimal parses the token's text directly, so 64012.1 stays exactly 64012.1.
            JsonValueKind.Number => value.TryGetDecimal(out price),
            _ => false,
        };
        return ok && price > 0;
    }

    public static bool TryGetInt64(JsonElement element, string property, out long result)
    {
        result = 0;
        if (!element.TryGetProperty(property, out var value))
        {
            return false;
        }

        return value.ValueKind switch
        {
            JsonValueKind.Number => value.TryGetInt64(out result),
            JsonValueKind.String => long.TryParse(value.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out result),
            _ => false,
        };
    }

    public static string? GetString(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    /// <summary>An ISO 8601 / RFC 3339 time ("2022-10-19T23:28:22.061769Z") as unix ms.</summary>
    public static long? GetIsoTimeMs(JsonElement element, string property) =>
        GetString(element, property) is { } text
        && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            ? time.ToUnixTimeMilliseconds()
            : null;
}
