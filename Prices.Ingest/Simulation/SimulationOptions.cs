using System.ComponentModel.DataAnnotations;

namespace Prices.Ingest.Simulation;

/// <summary>The default source: a seeded geometric Brownian motion quoted by a few simulated venues.</summary>
public sealed class SimulatedFeedOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>The same seed gives the same price path, tick for tick.</summary>
    public int Seed { get; set; } = 42;

    [Range(typeof(decimal), "0.01", "100000000")]
    public decimal InitialPrice { get; set; } = 65_000m;

    /// <summary>Annualised volatility (sigma) of the mid price; 0.6 is roughly BTC's.</summary>
    [Range(0.0, 10.0)]
    public double AnnualVolatility { get; set; } = 0.6;

    /// <summary>Annualised drift (mu).</summary>
    [Range(-10.0, 10.0)]
    public double AnnualDrift { get; set; }

    /// <summary>Ticks per second across all venues.</summary>
    [Range(0.01, 1_000_000.0)]
    public double TicksPerSecond { get; set; } = 4;

    /// <summary>Simulated venues (sources <c>sim-1</c>..<c>sim-n</c>), so the median and minimum-sources rules have something to do.</summary>
    [Range(1, 32)]
    public int Venues { get; set; } = 3;

    /// <summary>Standard deviation of each venue's quote around the mid, in basis points.</summary>
    [Range(0.0, 1000.0)]
    public double VenueNoiseBps { get; set; } = 2;

    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan Staleness { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>Replays a recorded file of ticks (JSON lines: <c>{"source","price","quote","timestamp"}</c>).</summary>
public sealed class ReplayOptions : IValidatableObject
{
    public bool Enabled { get; set; }

    public string? Path { get; set; }

    /// <summary>1 keeps the recorded spacing, 10 replays ten times faster, 0 replays as fast as possible.</summary>
    [Range(0.0, 1_000_000.0)]
    public double Speed { get; set; } = 1;

    public bool Loop { get; set; }

    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan Staleness { get; set; } = TimeSpan.FromSeconds(10);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Enabled && (string.IsNullOrWhiteSpace(Path) || !File.Exists(Path)))
        {
            yield return new ValidationResult($"the replay file '{Path}' does not exist", [nameof(Path)]);
        }
    }
}
