using System.Globalization;
using System.Text.Json;
using Bets.Api.Prices;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Bets.Api.Grid;

/// <summary>Volatility estimate, the cached grid (<c>cache:grid:{params}</c>) and placement-time re-pricing.</summary>
public sealed class GridService(
    IConnectionMultiplexer redis, IPriceHistory history, PriceFeed feed, IOptions<GridOptions> options, TimeProvider time) : IDisposable
{
    private static readonly TimeSpan SigmaRefresh = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan SigmaMaxAge = TimeSpan.FromMinutes(1);
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly SemaphoreSlim _sigmaGate = new(1, 1);
    private SigmaSample? _sigma; // a reference, so readers never see a torn value

    private sealed record SigmaSample(double Sigma, long At);

    public GridOptions Options => options.Value;

    public void Dispose() => _sigmaGate.Dispose();

    /// <summary>σ per √second: EWMA of one-second log returns over the lookback, clamped; the default when history is short.</summary>
    /// <remarks>
    /// Re-read every 5 s. A stale estimate (up to a minute old) is still returned while one caller refreshes it in the
    /// background, so no placement waits for the history read; older than that, callers wait for a fresh one.
    /// </remarks>
    public async Task<double> SigmaAsync(CancellationToken ct = default)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (_sigma is { } cached && now - cached.At < SigmaMaxAge.TotalMilliseconds)
        {
            if (now - cached.At >= SigmaRefresh.TotalMilliseconds && _sigmaGate.Wait(0, CancellationToken.None))
            {
                _ = RefreshInBackgroundAsync(now);
            }

            return cached.Sigma;
        }
        await _sigmaGate.WaitAsync(ct);
        try
        {
            if (_sigma is { } fresh && now - fresh.At < SigmaRefresh.TotalMilliseconds)
            {
                return fresh.Sigma;
            }

            return await ComputeSigmaAsync(now, ct);
        }
        finally
        {
            _sigmaGate.Release();
        }
    }

    private async Task RefreshInBackgroundAsync(long now)
    {
        try
        {
            await ComputeSigmaAsync(now, CancellationToken.None);
        }
        catch (Exception e) when (e is RedisException or RedisTimeoutException)
        {
            // Kept the last estimate; past its maximum age a caller reads the history itself and sees the error.
        }
        finally
        {
            _sigmaGate.Release();
        }
    }

    private async Task<double> ComputeSigmaAsync(long now, CancellationToken ct)
    {
        var o = options.Value;
        var ticks = await history.RangeAsync(now - o.VolatilityLookbackSeconds * 1000L, now, ct);
        var estimate = Volatility.EwmaPerSecond(ticks, now, o.EwmaLambda) ?? GridCalculator.PerSecond(o.DefaultAnnualVolatility);
        var sigma = Math.Clamp(estimate, GridCalculator.PerSecond(o.MinAnnualVolatility), GridCalculator.PerSecond(o.MaxAnnualVolatility));
        _sigma = new SigmaSample(sigma, now);
        return sigma;
    }

    /// <summary>The grid as JSON, from the cache when a grid for this price bucket and window set exists.</summary>
    public async Task<string?> GridJsonAsync(CancellationToken ct = default)
    {
        if (feed.Current() is not { } reading)
        {
            return null;
        }

        var json = await FreshGridJsonAsync(reading.Snapshot, ct);
        return reading.Stale ? MarkStale(json, reading) : json;
    }

    /// <summary>A stale price prices nothing: every cell is shown but not bettable, and the grid says why.</summary>
    private static string MarkStale(string json, PriceReading reading)
    {
        var grid = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
        grid["status"] = "stale";
        grid["priceAgeMs"] = reading.AgeMs;
        var reason = string.Create(CultureInfo.InvariantCulture, $"the price feed is stale (the latest price is {reading.AgeMs / 1000.0:0.#} s old)");
        foreach (var cell in grid["cells"]!.AsArray())
        {
            cell!["bettable"] = false;
            cell["reason"] = reason;
        }
        return grid.ToJsonString();
    }

    private async Task<string> FreshGridJsonAsync(PriceSnapshot price, CancellationToken ct)
    {
        var o = options.Value;
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var bucket = GridCalculator.Bucket(price.Price, o.PriceBucket);
        var key = "cache:grid:" + GridCalculator.CacheParams(o, bucket, GridCalculator.FirstWindowStart(now, o.WindowSeconds));
        var db = redis.GetDatabase();
        var cached = await db.StringGetAsync(key);
        if (cached.HasValue)
        {
            return cached.ToString();
        }

        var sigma = await SigmaAsync(ct);
        // Priced at the bucket's price, so every instance caches the same grid for the same key.
        var grid = GridCalculator.Compute(bucket, price.Timestamp, sigma, now, o);
        var json = JsonSerializer.Serialize(grid, Json);
        await db.StringSetAsync(key, json, TimeSpan.FromSeconds(o.GridCacheSeconds));
        return json;
    }
}
