using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Prices.Ingest.Exchanges;
using Prices.Ingest.Simulation;
using Prices.Ingest.Tests.Fakes;

namespace Prices.Ingest.Tests.Aggregation;

public sealed class SimulationTests
{
    private static List<(int, decimal)> Path(SimulatedFeedOptions options, int count)
    {
        var generator = new GbmPriceGenerator(options);
        return Enumerable.Range(0, count).Select(_ => generator.Next()).ToList();
    }

    [Fact]
    public void TheSameSeedGivesTheSamePathTickForTick()
    {
        var options = new SimulatedFeedOptions { Seed = 7, Venues = 3 };
        Assert.Equal(Path(options, 1000), Path(options, 1000));
        Assert.NotEqual(Path(options, 50), Path(new SimulatedFeedOptions { Seed = 8, Venues = 3 }, 50));
    }

    [Fact]
    public void VenuesQuoteInTurnInCentsCloseToTheMid()
    {
        var options = new SimulatedFeedOptions { Seed = 1, Venues = 3, VenueNoiseBps = 2, InitialPrice = 65_000m };
        var path = Path(options, 300);

        Assert.Equal(Enumerable.Range(0, 300).Select(i => i % 3), path.Select(p => p.Item1));
        Assert.All(path, p => Assert.Equal(p.Item2, decimal.Round(p.Item2, 2)));
        Assert.All(path, p => Assert.InRange(p.Item2, 60_000m, 70_000m));
    }

    [Fact]
    public void TheVolatilityOfLogReturnsMatchesTheConfiguredSigma()
    {
        // sigma = 0.6/yr at 4 ticks/s; sample standard deviation of the mid's log-returns over 20k steps.
        var options = new SimulatedFeedOptions { Seed = 3, AnnualVolatility = 0.6, TicksPerSecond = 4, VenueNoiseBps = 0 };
        var generator = new GbmPriceGenerator(options);
        var returns = new double[20_000];
        var previous = generator.Mid;
        for (var i = 0; i < returns.Length; i++)
        {
            generator.Next();
            returns[i] = Math.Log(generator.Mid / previous);
            previous = generator.Mid;
        }

        var mean = returns.Average();
        var sd = Math.Sqrt(returns.Sum(r => (r - mean) * (r - mean)) / (returns.Length - 1));
        var expected = 0.6 * Math.Sqrt(0.25 / (365.25 * 24 * 3600));
        Assert.InRange(sd / expected, 0.97, 1.03);
    }

    [Fact]
    public async Task TheSimulatedSourceEmitsTheGeneratorsPathUnderTheVenueNames()
    {
        var options = new SimulatedFeedOptions { Seed = 11, Venues = 2, TicksPerSecond = 1000 };
        var source = new SimulatedPriceSource(Options.Create(options), TimeProvider.System, TestMetrics.Create());
        await using var run = new SourceRun(source);
        var expected = Path(options, 20);
        for (var i = 0; i < expected.Count; i++)
        {
            var tick = await run.NextTickAsync();
            Assert.Equal($"sim-{expected[i].Item1 + 1}", tick.Source);
            Assert.Equal(expected[i].Item2, tick.Price);
        }
    }

    [Fact]
    public async Task ReplayKeepsRecordedPricesExactlyAndSkipsBadLines()
    {
        var file = System.IO.Path.GetTempFileName();
        try
        {
            await File.WriteAllLinesAsync(file,
            [
                """{"source":"coinbase","price":"64000.123456789","quote":"USD","timestamp":1732263569000}""",
                "garbage",
                """{"source":"kraken","price":64001.5,"timestamp":1732263569010}""",
                """{"source":"","price":"1","timestamp":1}""",
                "",
                """{"source":"bitstamp","price":"64002.00","timestamp":1732263569020}""",
            ], TestContext.Current.CancellationToken);
            var logger = new ListLogger<ReplayPriceSource>();
            var source = new ReplayPriceSource(Options.Create(new ReplayOptions { Path = file, Speed = 0 }), TimeProvider.System, TestMetrics.Create(), logger);
            var channel = Channel.CreateUnbounded<PriceTick>();

            await source.RunAsync(channel.Writer, TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

            var ticks = new List<PriceTick>();
            while (channel.Reader.TryRead(out var tick))
            {
                ticks.Add(tick);
            }

            Assert.Equal([("coinbase", 64000.123456789m), ("kraken", 64001.5m), ("bitstamp", 64002.00m)], ticks.Select(t => (t.Source, t.Price)));
            Assert.Equal(1732263569010, ticks[1].ExchangeTimeMs);
            Assert.Equal(2, logger.Count("skipped"));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
