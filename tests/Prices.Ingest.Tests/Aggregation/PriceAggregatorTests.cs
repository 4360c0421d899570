using Microsoft.Extensions.Options;
using Prices.Ingest.Aggregation;
using Prices.Ingest.Exchanges;

namespace Prices.Ingest.Tests.Aggregation;

public sealed class PriceAggregatorTests
{
    private const long Now = 1_732_263_569_000;

    private static PriceAggregator Create(decimal maxDeviationBps = 100, int minSources = 2) =>
        new(Options.Create(new AggregationOptions { MaxDeviationBps = maxDeviationBps, MinSources = minSources }));

    private static PriceTick Tick(string source, decimal price, long ageMs = 0, int staleAfterMs = 10_000) =>
        new(source, price, "USD", Now - ageMs, Now - ageMs, 0, TimeSpan.FromMilliseconds(staleAfterMs));

    [Fact]
    public void TheMedianOfAnOddNumberOfSourcesIsTheMiddlePrice()
    {
        var aggregator = Create();
        aggregator.Add(Tick("a", 64000.00m));
        aggregator.Add(Tick("b", 64010.00m));
        aggregator.Add(Tick("c", 64005.50m));

        var result = aggregator.Aggregate(Now);

        Assert.Equal(64005.50m, result.Price);
        Assert.Equal(PriceStatus.Ok, result.Status);
        Assert.Equal(["a", "b", "c"], result.Sources.Select(s => s.Source));
        Assert.Empty(result.Rejected);
    }

    [Fact]
    public void TheMedianOfAnEvenNumberOfSourcesIsTheExactMeanOfTheMiddleTwo()
    {
        var aggregator = Create();
        aggregator.Add(Tick("a", 64000.01m));
        aggregator.Add(Tick("b", 64000.02m));

        Assert.Equal(64000.015m, aggregator.Aggregate(Now).Price);
    }

    [Fact]
    public void OnlyTheLatestTickOfEachSourceCounts()
    {
        var aggregator = Create(minSources: 1);
        aggregator.Add(Tick("a", 1m));
        aggregator.Add(Tick("a", 64000m));

        var result = aggregator.Aggregate(Now);
        Assert.Equal(64000m, result.Price);
        Assert.Single(result.Sources);
    }

    [Fact]
    public void ASourceTooFarFromTheMedianIsLeftOutAndTheMedianRecomputed()
    {
        var aggregator = Create(maxDeviationBps: 50);
        aggregator.Add(Tick("a", 64000m));
        aggregator.Add(Tick("b", 64020m));
        aggregator.Add(Tick("c", 64040m));
        aggregator.Add(Tick("d", 66000m)); // about 3% away

        var result = aggregator.Aggregate(Now);

        Assert.Equal(64020m, result.Price);
        Assert.Equal(["a", "b", "c"], result.Sources.Select(s => s.Source));
        var rejected = Assert.Single(result.Rejected);
        Assert.Equal(("d", PriceAggregator.ReasonOutlier), (rejected.Tick.Source, rejected.Reason));
    }

    [Fact]
    public void TheDeviationLimitIsInclusive()
    {
        var aggregator = Create(maxDeviationBps: 10, minSources: 1);
        aggregator.Add(Tick("a", 10000m));
        aggregator.Add(Tick("b", 10000m));
        aggregator.Add(Tick("c", 10010m)); // exactly 10 bps from the median

        Assert.Equal(3, aggregator.Aggregate(Now).Sources.Count);
    }

    [Fact]
    public void ASourceOlderThanItsOwnStalenessLimitIsLeftOut()
    {
        var aggregator = Create(minSources: 2);
        aggregator.Add(Tick("fast", 64000m, ageMs: 1_500, staleAfterMs: 1_000));
        aggregator.Add(Tick("slow", 64010m, ageMs: 1_500, staleAfterMs: 5_000));
        aggregator.Add(Tick("fresh", 64020m));

        var result = aggregator.Aggregate(Now);

        Assert.Equal(64015m, result.Price);
        Assert.Equal(PriceStatus.Ok, result.Status);
        Assert.Equal(("fast", PriceAggregator.ReasonStale), (result.Rejected[0].Tick.Source, result.Rejected[0].Reason));
    }

    [Fact]
    public void FewerUsableSourcesThanTheMinimumMakeThePriceStale()
    {
        var aggregator = Create(minSources: 3);
        aggregator.Add(Tick("a", 64000m));
        aggregator.Add(Tick("b", 64010m));
        aggregator.Add(Tick("c", 64020m, ageMs: 20_000));

        var result = aggregator.Aggregate(Now);

        Assert.Equal(PriceStatus.Stale, result.Status);
        Assert.Equal(64005m, result.Price);
        Assert.Equal(2, result.Sources.Count);
    }

    [Fact]
    public void WithNoFreshSourceThereIsNoPriceAndTheStatusIsStale()
    {
        var aggregator = Create(minSources: 1);
        Assert.Equal(new AggregatedPrice(null, PriceStatus.Stale, [], []).Status, aggregator.Aggregate(Now).Status);
        Assert.Null(aggregator.Aggregate(Now).Price);

        aggregator.Add(Tick("a", 64000m, ageMs: 60_000));
        var result = aggregator.Aggregate(Now);
        Assert.Null(result.Price);
        Assert.Equal(PriceStatus.Stale, result.Status);
        Assert.Single(result.Rejected);
    }

    [Fact]
    public void WhenTwoSourcesDisagreeBeyondTheLimitNeitherIsTrustedAndThePriceIsStale()
    {
        var aggregator = Create(maxDeviationBps: 10, minSources: 1);
        aggregator.Add(Tick("a", 64000m));
        aggregator.Add(Tick("b", 65000m));

        var result = aggregator.Aggregate(Now);

        Assert.Equal(PriceStatus.Stale, result.Status);
        Assert.Equal(64500m, result.Price);
        Assert.Empty(result.Sources);
        Assert.Equal(2, result.Rejected.Count);
    }

    [Fact]
    public void AStaleSourceComesBackWhenItTicksAgain()
    {
        var aggregator = Create(minSources: 2);
        aggregator.Add(Tick("a", 64000m, ageMs: 30_000));
        aggregator.Add(Tick("b", 64010m));
        Assert.Equal(PriceStatus.Stale, aggregator.Aggregate(Now).Status);

        aggregator.Add(Tick("a", 64002m));
        var result = aggregator.Aggregate(Now);
        Assert.Equal(PriceStatus.Ok, result.Status);
        Assert.Equal(64006m, result.Price);
    }
}
