using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Redis.Failover;

namespace Bets.Api.Prices;

/// <summary>One point of the chart history: the last price of a second.</summary>
public sealed record PricePoint(long Timestamp, decimal Price);

/// <summary>Recent prices for a chart that opens with a shape: the history sorted set, one point per second.</summary>
public static class PriceHistoryApi
{
    public const int MaxMinutes = 60;

    public static WebApplication MapPriceHistoryApi(this WebApplication app)
    {
        app.MapGet("/prices/history", GetAsync)
            .RequireRedis()
            .WithTags("Prices")
            .WithSummary($"Prices of the last `minutes` (1–{MaxMinutes}, default 15) from prices:btc:usd:ts, the last of each second, oldest first.");
        return app;
    }

    private static async Task<Results<Ok<IReadOnlyList<PricePoint>>, ValidationProblem>> GetAsync(
        IPriceHistory history, TimeProvider time, CancellationToken ct, int minutes = 15)
    {
        if (minutes is < 1 or > MaxMinutes)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["minutes"] = [$"minutes must be between 1 and {MaxMinutes}."] });
        }
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var ticks = await history.RangeAsync(now - minutes * 60_000L, now, ct);
        return TypedResults.Ok(PerSecond(ticks));
    }

    /// <summary>The last tick of each second: a chart has one point per time, and four ticks a second add nothing to a line over minutes.</summary>
    public static IReadOnlyList<PricePoint> PerSecond(IReadOnlyList<PriceTick> ascending)
    {
        var points = new List<PricePoint>();
        foreach (var tick in ascending)
        {
            if (points.Count > 0 && points[^1].Timestamp / 1000 == tick.Timestamp / 1000)
            {
                points[^1] = new PricePoint(tick.Timestamp, tick.Price);
            }
            else
            {
                points.Add(new PricePoint(tick.Timestamp, tick.Price));
            }
        }
        return points;
    }
}
