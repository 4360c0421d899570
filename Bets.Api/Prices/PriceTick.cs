using Platform.Prices.Contracts;

namespace Bets.Api.Prices;

/// <summary>One aggregated price as Prices.Ingest publishes it to <c>price:btc:usd</c> and the channel, as read here.</summary>
public sealed record PriceSnapshot(decimal Price, long Timestamp, string Status, string Json)
{
    public bool IsStale(long nowMs, int staleAfterSeconds) =>
        !string.Equals(Status, "ok", StringComparison.OrdinalIgnoreCase) || nowMs - Timestamp > staleAfterSeconds * 1000L;
}

public readonly record struct PriceTick(long Timestamp, decimal Price);

/// <summary>The price message as Bets.Api reads it; the format itself is <see cref="PriceMessage"/>'s (Platform.Prices.Contracts).</summary>
public static class PriceFormat
{
    public static bool TryParseSnapshot(string? json, out PriceSnapshot? snapshot)
    {
        snapshot = PriceMessage.TryReadHeadline(json, out var price, out var timestamp, out var status)
            ? new PriceSnapshot(price, timestamp, status, json!)
            : null;
        return snapshot is not null;
    }

    public static bool TryParseHistoryMember(string? member, double score, out PriceTick tick)
    {
        var ok = PriceMessage.TryReadHistoryMember(member, score, out var timestamp, out var price);
        tick = ok ? new PriceTick(timestamp, price) : default;
        return ok;
    }
}

/// <summary>EWMA volatility of one-second log returns from a tick history (last price carried forward each second).</summary>
public static class Volatility
{
    /// <summary>Returns σ per √second, or null when there are fewer than 30 one-second returns.</summary>
    public static double? EwmaPerSecond(IReadOnlyList<PriceTick> ticks, long nowMs, double lambda)
    {
        if (ticks.Count < 2)
        {
            return null;
        }

        var start = ticks[0].Timestamp / 1000 + 1;
        var end = nowMs / 1000;
        if (end - start < 30)
        {
            return null;
        }

        var i = 0;
        double? previous = null;
        double variance = 0;
        var n = 0;
        var last = (double)ticks[0].Price;
        for (var second = start; second <= end; second++)
        {
            var boundary = second * 1000;
            while (i < ticks.Count && ticks[i].Timestamp <= boundary)
            {
                last = (double)ticks[i++].Price;
            }

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
