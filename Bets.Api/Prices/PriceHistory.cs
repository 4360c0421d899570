using StackExchange.Redis;

namespace Bets.Api.Prices;

/// <summary>The tick history: what pricing estimates volatility from and resolution decides windows on.</summary>
public interface IPriceHistory
{
    /// <summary>Ticks with timestamps in [fromMs, toMs], ascending.</summary>
    Task<IReadOnlyList<PriceTick>> RangeAsync(long fromMs, long toMs, CancellationToken ct = default);

    /// <summary>The newest tick's timestamp; null when the history is empty.</summary>
    Task<long?> NewestAsync(CancellationToken ct = default);
}

/// <summary>Reads the tick history from the sorted set <c>prices:btc:usd:ts</c> (score = unix ms).</summary>
public sealed class RedisPriceHistory(IConnectionMultiplexer redis) : IPriceHistory
{
    public async Task<IReadOnlyList<PriceTick>> RangeAsync(long fromMs, long toMs, CancellationToken ct = default)
    {
        var entries = await redis.GetDatabase().SortedSetRangeByScoreWithScoresAsync(PriceFeed.HistoryKey, fromMs, toMs);
        var ticks = new List<PriceTick>(entries.Length);
        foreach (var e in entries)
        {
            if (PriceFormat.TryParseHistoryMember(e.Element.ToString(), e.Score, out var tick))
            {
                ticks.Add(tick);
            }
        }
        ticks.Sort((a, b) => a.Timestamp.CompareTo(b.Timestamp));
        return ticks;
    }

    public async Task<long?> NewestAsync(CancellationToken ct = default)
    {
        var newest = await redis.GetDatabase().SortedSetRangeByRankWithScoresAsync(PriceFeed.HistoryKey, -1, -1);
        return newest.Length == 0 ? null : (long)newest[0].Score;
    }
}
