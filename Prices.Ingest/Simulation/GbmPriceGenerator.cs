namespace Prices.Ingest.Simulation;

/// <summary>
/// Deterministic GBM path: each step multiplies the mid by exp((mu - sigma^2/2) dt + sigma sqrt(dt) Z), then one venue
/// (round robin) quotes the mid with its own noise. Only <see cref="Random"/>(seed) drives it, so a seed fixes the path.
/// </summary>
public sealed class GbmPriceGenerator
{
    private const double SecondsPerYear = 365.25 * 24 * 3600;
    private readonly Random _random;
    private readonly double _driftTerm;
    private readonly double _diffusion;
    private readonly double _noise;
    private readonly int _venues;
    private double _mid;
    private int _next;

    public GbmPriceGenerator(SimulatedFeedOptions options)
    {
        _random = new Random(options.Seed);
        var dt = 1.0 / options.TicksPerSecond / SecondsPerYear;
        var sigma = options.AnnualVolatility;
        _driftTerm = (options.AnnualDrift - sigma * sigma / 2) * dt;
        _diffusion = sigma * Math.Sqrt(dt);
        _noise = options.VenueNoiseBps / 10_000;
        _venues = options.Venues;
        _mid = (double)options.InitialPrice;
    }

    public double Mid => _mid;

    /// <summary>The next quote: which venue (0-based) and its price rounded to cents.</summary>
    public (int Venue, decimal Price) Next()
    {
        _mid *= Math.Exp(_driftTerm + _diffusion * StandardNormal());
        var venue = _next;
        _next = (_next + 1) % _venues;
        var quote = _mid * (1 + _noise * StandardNormal());
        return (venue, Math.Round((decimal)quote, 2, MidpointRounding.ToEven));
    }

    private double StandardNormal()
    {
        // Box-Muller; 1 - NextDouble() keeps the logarithm's argument in (0, 1].
        var u1 = 1.0 - _random.NextDouble();
        var u2 = _random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
