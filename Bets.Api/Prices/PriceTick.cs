using System.Globalization;
using System.Text.Json;

namespace Bets.Api.Prices;

/// <summary>One aggregated price as Prices.Ingest publishes it to <c>price:btc:usd</c> and the channel.</summary>
public sealed record PriceSnapshot(decimal Price, long Timestamp, string Status, string Json)
{
    public bool IsStale(long nowMs, int staleAfterSeconds) =>
        !string.Equals(Status, "ok", StringComparison.OrdinalIgnoreCase) || nowMs - Timestamp > staleAfterSeconds * 1000L;
}

public readonly record struct PriceTick(long Timestamp, decimal Price);

public static class PriceFormat
{
    /// <summary>Parses <c>{"price":"&lt;decimal&gt;","timestamp":&lt;unix ms&gt;,"sources":[…],"status":"ok"|"stale"}</c>.</summary>
    public static bool TryParseSnapshot(string? json, out PriceSnapshot? snapshot)
    {
        snapshot = null;
        if (string.IsNullOrWhiteSpace(json)) return false;
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return false;
            if (!TryGetPrice(root, out var price) || !root.TryGetProperty("timestamp", out var ts) || !ts.TryGetInt64(out var timestamp)) return false;
            var status = root.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString()! : "ok";
            snapshot = new PriceSnapshot(price, timestamp, status, json);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool TryGetPrice(JsonElement root, out decimal price)
    {
        price = 0;
        if (!root.TryGetProperty("price", out var p)) return false;
        var ok = p.ValueKind switch
        {
            JsonValueKind.String => decimal.TryParse(p.GetString(), NumberStyles.Number, CultureInfo.InvariantCulture, out price),
            JsonValueKind.Number => p.TryGetDecimal(out price),
            _ => false,
        };
        return ok && price > 0;
    }

    /// <summary>
    /// Parses a history member of <c>prices:btc:usd:ts</c>. Tolerant of the shapes a writer may use: a JSON price
    /// object; "&lt;price&gt;:&lt;writer&gt;:&lt;seq&gt;" (Prices.Ingest); or "&lt;unix ms&gt;:&lt;price&gt;[:…]". The score
    /// (unix ms) is the tick's time unless the JSON carries one.
    /// </summary>
    public static bool TryParseHistoryMember(string? member, double score, out PriceTick tick)
    {
        tick = default;
        if (string.IsNullOrEmpty(member)) return false;
        if (member[0] == '{')
        {
            if (!TryParseSnapshot(member, out var snapshot)) return false;
            tick = new PriceTick(snapshot!.Timestamp, snapshot.Price);
            return true;
        }
        var parts = member.Split(':');
        var at = (long)score;
        // A leading integer equal to the score is a timestamp; otherwise the first field is the price.
        var priceField = parts.Length >= 2 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
                         && (ms == at || (ms > 100_000_000_000 && Math.Abs(ms - at) < 86_400_000)) ? parts[1] : parts[0];
        if (decimal.TryParse(priceField, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var price) && price > 0 && parts.Length >= 2)
        {
            tick = new PriceTick(at, price);
            return true;
        }
        return false;
    }
}

/// <summary>EWMA volatility of one-second log returns from a tick history (last price carried forward each second).</summary>
public static class Volatility
{
    /// <summary>Returns σ per √second, or null when there are fewer than 30 one-second returns.</summary>
    public static double? EwmaPerSecond(IReadOnlyList<PriceTick> ticks, long nowMs, double lambda)
    {
        if (ticks.Count < 2) return null;
        var start = ticks[0].Timestamp / 1000 + 1;
        var end = nowMs / 1000;
        if (end - start < 30) return null;
        var i = 0;
        double? previous = null;
        double variance = 0;
        var n = 0;
        var last = (double)ticks[0].Price;
        for (var second = start; second <= end; second++)
        {
            var boundary = second * 1000;
            while (i < ticks.Count && ticks[i].Timestamp <= boundary) last = (double)ticks[i++].Price;
            if (previous is { } p)
            {
                var r = Math.Log(last / p);
                variance = n == 0 ? r * r : lambda * variance + (1 - lambda) * r * r;
                n++;
            }
            previous = last;
        }
        return n < 30 ? null : Math.Sqrt(variance);
    }
}
