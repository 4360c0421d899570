using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Prices.Contracts;
using Prices.Ingest.Publishing;
using Prices.Ingest.Tests.Fakes;

namespace Prices.Ingest.Tests.Publishing;

public sealed class TickBacklogTests
{
    private sealed class Lease : IWriterLease
    {
        public string Owner => "backlog";

        public bool IsHeld { get; set; } = true;

        public bool HeldElsewhere { get; set; }

        public void MarkLost() => IsHeld = false;
    }

    private static PriceMessage Tick(long seq) => new("BTC/USD", 64_000m + seq, 1_900_000_000_000 + seq * 250, "ok", [], "backlog", seq);

    private static (TickBacklog Backlog, ListLogger<TickBacklog> Log) Create(Lease lease, int capacity)
    {
        var log = new ListLogger<TickBacklog>();
        return (new TickBacklog(Options.Create(new PublishingOptions { BacklogCapacity = capacity }), lease, TestMetrics.Create(), log), log);
    }

    [Fact]
    public void AWriteCarriesOnlyThePricesNotYetWrittenOnceWritesSucceed()
    {
        var (backlog, _) = Create(new Lease(), 100);
        for (var seq = 1; seq <= 3; seq++)
        {
            backlog.Add(Tick(seq));
        }

        // Nothing is known about the history at first: everything kept goes along.
        Assert.Equal([1L, 2L], backlog.Before(3).Ticks.Select(t => t.Seq));
        backlog.Written(Tick(3), previousNewest: null);
        backlog.Add(Tick(4));
        Assert.Empty(backlog.Before(4).Ticks);

        // 5 and 6 are made while Redis refuses (the writer skips them or their writes fail): 7 carries them.
        backlog.Add(Tick(5));
        backlog.Add(Tick(6));
        backlog.Failed();
        backlog.Add(Tick(7));
        var backfill = backlog.Before(7);
        Assert.Null(backfill.Floor);
        Assert.Equal([1L, 2L, 3L, 4L, 5L, 6L], backfill.Ticks.Select(t => t.Seq));
    }

    [Fact]
    public void WhenTheHistoryLostWrittenPricesTheNextWriteGoesBackToWhereTheHistoryEnds()
    {
        var (backlog, log) = Create(new Lease(), 100);
        for (var seq = 1; seq <= 5; seq++)
        {
            backlog.Add(Tick(seq));
            backlog.Written(Tick(seq), seq == 1 ? null : Tick(seq - 1).Timestamp);
        }

        // A failover promoted a replica that had only up to 3: the write of 6 finds 3 as the newest entry.
        backlog.Add(Tick(6));
        backlog.Written(Tick(6), Tick(3).Timestamp);
        backlog.Add(Tick(7));

        var repair = backlog.Before(7);
        Assert.Equal(Tick(3).Timestamp, repair.Floor);
        Assert.Equal([4L, 5L, 6L], repair.Ticks.Select(t => t.Seq));
        Assert.Single(log.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("lost entries", StringComparison.Ordinal));
        backlog.Written(Tick(7), Tick(6).Timestamp);
        backlog.Add(Tick(8));
        Assert.Empty(backlog.Before(8).Ticks);
    }

    [Fact]
    public void TheWriterCutOffFromRedisDropsTheOldestBeyondTheBoundAndWarnsOnceThenCountsTheLoss()
    {
        var (backlog, log) = Create(new Lease(), 3);
        backlog.Add(Tick(1));
        backlog.Written(Tick(1), null);
        for (var seq = 2; seq <= 7; seq++)
        {
            backlog.Add(Tick(seq));
        }

        // Room for three: 1 (written) went first, then 2, 3 and 4 (never written) were lost.
        Assert.Equal([5L, 6L], backlog.Before(7).Ticks.Select(t => t.Seq));
        Assert.Single(log.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("dropped", StringComparison.Ordinal));
        backlog.Written(Tick(7), Tick(1).Timestamp);
        Assert.Single(log.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("3 prices made during the outage", StringComparison.Ordinal));
    }

    [Fact]
    public void AStandbyDropsItsOldestPricesSilently()
    {
        var lease = new Lease { IsHeld = false, HeldElsewhere = true };
        var (backlog, log) = Create(lease, 3);
        for (var seq = 1; seq <= 10; seq++)
        {
            backlog.Add(Tick(seq));
        }

        Assert.Equal([8L, 9L], backlog.Before(10).Ticks.Select(t => t.Seq));
        Assert.Empty(log.Entries);
    }
}
