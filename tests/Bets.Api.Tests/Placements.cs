using Bets.Api.Bets;
using Bets.Api.Data;
using Bets.Api.Grid;
using Bets.Api.Prices;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Bets.Api.Tests;

/// <summary>
/// Bet placement on a database of a test's own, outside a running host: the tests that price their cells themselves
/// commit quotes with it (the price feed and grid are real but never started; only quoting would read them).
/// </summary>
internal static class Placements
{
    public static BetPlacement For(BetsDatabase db, TimeProvider time, IConnectionMultiplexer redis)
    {
        var feedOptions = Options.Create(new PriceFeedOptions());
        var feed = new PriceFeed(redis, new PriceStreamHub(redis, NullLogger<PriceStreamHub>.Instance), feedOptions, time, NullLogger<PriceFeed>.Instance);
        var grid = new GridService(redis, new RedisPriceHistory(redis), feed, Options.Create(new GridOptions()), time);
        return new BetPlacement(db, new BetStore(db), grid, feed, feedOptions, time, NullLogger<BetPlacement>.Instance);
    }

    public static BetPlacement.Quote Quote(string wallet, long stake, GridCell cell, decimal spot, GridOptions options) =>
        new(wallet, stake, cell, spot, options.MaxCellExposure);
}
