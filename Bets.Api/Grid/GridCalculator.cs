using System.Globalization;

namespace Bets.Api.Grid;

public sealed record GridCell(
    int Band,
    decimal PriceLow,
    decimal PriceHigh,
    long WindowStart,
    long WindowEnd,
    double Probability,
    decimal Multiplier,
    bool Bettable,
    string? Reason);

public sealed record GridSnapshot(
    decimal Price,
    long PriceTimestamp,
    long ComputedAt,
    double AnnualVolatility,
    double HouseEdge,
    decimal BandWidth,
    int WindowSeconds,
    IReadOnlyList<GridCell> Cells,
    string Status = "ok",
    long? PriceAgeMs = null);

/// <summary>Prices the grid: cells are absolute price bands x aligned time windows, multiplier = (1 - edge) / p.</summary>
public static class GridCalculator
{
    public const double SecondsPerYear = 365.25 * 24 * 3600;

    public static double PerSecond(double annual) => annual / Math.Sqrt(SecondsPerYear);
    public static double Annual(double perSecond) => perSecond * Math.Sqrt(SecondsPerYear);

    public static int BandOf(decimal price, decimal bandWidth) => (int)Math.Floor(price / bandWidth);

    public static long FirstWindowStart(long nowMs, int windowSeconds)
    {
        var w = windowSeconds * 1000L;
        return (nowMs / w + 1) * w;
    }

    public static string CacheParams(GridOptions o, decimal bucketPrice, long firstWindow) => string.Create(CultureInfo.InvariantCulture,
        $"bw={o.BandWidth}:n={o.BandsEachSide}:ws={o.WindowSeconds}:w={o.Windows}:edge={o.HouseEdge}:lead={o.MinLeadSeconds}:cap={o.MaxMultiplier}:bucket={bucketPrice}:t0={firstWindow}");

    public static decimal Bucket(decimal price, decimal bucket) => Math.Floor(price / bucket) * bucket;

    public static GridSnapshot Compute(decimal price, long priceTimestamp, double sigmaPerSecond, long nowMs, GridOptions o)
    {
        var center = BandOf(price, o.BandWidth);
        var first = FirstWindowStart(nowMs, o.WindowSeconds);
        var cells = new List<GridCell>((2 * o.BandsEachSide + 1) * o.Windows);
        for (var j = 0; j < o.Windows; j++)
        {
            var start = first + j * o.WindowSeconds * 1000L;
            for (var k = center + o.BandsEachSide; k >= center - o.BandsEachSide; k--)
            {
                cells.Add(PriceCell(price, sigmaPerSecond, nowMs, k, start, o));
            }
        }
        return new GridSnapshot(price, priceTimestamp, nowMs, Annual(sigmaPerSecond), o.HouseEdge, o.BandWidth, o.WindowSeconds, cells);
    }

    /// <summary>Prices one cell for a spot price and volatility at <paramref name="nowMs"/>.</summary>
    public static GridCell PriceCell(decimal price, double sigmaPerSecond, long nowMs, int band, long windowStart, GridOptions o)
    {
        var low = band * o.BandWidth;
        var high = low + o.BandWidth;
        var end = windowStart + o.WindowSeconds * 1000L;
        if (end <= nowMs)
        {
            return new GridCell(band, low, high, windowStart, end, 0, 0, false, "the window is in the past");
        }

        if (low <= 0)
        {
            return new GridCell(band, low, high, windowStart, end, 0, 0, false, "the band is not a positive price");
        }

        var t1 = Math.Max(0, (windowStart - nowMs) / 1000.0);
        var t2 = (end - nowMs) / 1000.0;
        var p = TouchProbability.Compute((double)price, (double)low, (double)high, sigmaPerSecond, t1, t2);
        var raw = p <= 0 ? o.MaxMultiplier : Math.Min(o.MaxMultiplier, (1 - o.HouseEdge) / p);
        // Rounded down to a hundredth so rounding always favours the house's stated edge.
        var multiplier = Math.Floor((decimal)raw * 100m) / 100m;
        string? reason = null;
        if (windowStart - nowMs < o.MinLeadSeconds * 1000L)
        {
            reason = $"the window starts in less than {o.MinLeadSeconds} s";
        }
        else if (multiplier <= 1m)
        {
            reason = "the cell pays no more than the stake";
        }

        return new GridCell(band, low, high, windowStart, end, p, multiplier, reason is null, reason);
    }
}
