using System.Collections.Concurrent;
using Platform.Prices.Contracts;
using Platform.TestSupport;
using Prices.Ingest.Publishing;
using static Prices.Ingest.Tests.Fakes.TestTimeouts;

namespace Prices.Ingest.Tests.Redis;

[Collection(RedisCollection.Name)]
public sealed class BackfillTests(RedisFixture redis)
{
    private const long At = 1_900_000_000_000;

    private static PriceMessage Tick(string writer, long seq) => new("BTC/USD", 64_000m + seq, At + seq * 250, "ok", [], writer, seq);

    [Fact]
    public async Task PricesMadeWhileNothingWasWrittenGoIntoTheHistoryWithTheirOwnTimestampsButNotOnTheChannel()
    {
        await redis.ResetAsync();
        var received = new ConcurrentQueue<PriceMessage>();
        var queue = await redis.SubscribeToPricesAsync();
        queue.OnMessage(m => received.Enqueue(PriceMessage.Parse((byte[])m.Message!)));
        try
        {
            var (lease, publisher, backlog) = redis.Writer("gap", TimeSpan.FromSeconds(10));
            Assert.True(await lease.TryAcquireOrRenewAsync().WaitAsync(Wait, Ct));
            backlog.Add(Tick("gap", 1));
            Assert.Equal(PublishOutcome.Published, (await publisher.PublishAsync(Tick("gap", 1), Ct).WaitAsync(Wait, Ct)).Outcome);

            // 2..5 are made while the writer cannot write (the lease lapsed with Redis out of reach): kept, not sent.
            for (var seq = 2; seq <= 5; seq++)
            {
                backlog.Add(Tick("gap", seq));
            }

            backlog.Failed();
            backlog.Add(Tick("gap", 6));
            var result = await publisher.PublishAsync(Tick("gap", 6), Ct).WaitAsync(Wait, Ct);

            Assert.Equal(PublishOutcome.Published, result.Outcome);
            Assert.Equal(4, result.Backfilled);
            Assert.Equal(250, result.GapMs);
            var entries = await redis.Client.GetDatabase().SortedSetRangeByScoreWithScoresAsync("prices:btc:usd:ts").WaitAsync(Wait, Ct);
            Assert.Equal(Enumerable.Range(1, 6).Select(seq => $"{64_000 + seq}:gap:{seq}"), entries.Select(e => e.Element.ToString()));
            Assert.Equal(Enumerable.Range(1, 6).Select(seq => At + seq * 250L), entries.Select(e => (long)e.Score));

            // Subscribers get the live prices only: the back-filled ones are history, not news.
            await Eventually.UntilAsync(() => received.Any(m => m.Seq == 6), "the live message of seq 6", TestContext.Current.CancellationToken);
            Assert.Equal([1L, 6L], received.Select(m => m.Seq));
            Assert.Equal(6, (long)PriceMessage.Parse((byte[])(await redis.Client.GetDatabase().StringGetAsync("price:btc:usd").WaitAsync(Wait, Ct))!).Seq);
        }
        finally
        {
            await queue.UnsubscribeAsync();
        }
    }

    [Fact]
    public async Task APriceWrittenTwiceIsOneHistoryEntry()
    {
        await redis.ResetAsync();
        // The same instance twice over: the second never learnt that its first writes went through (a lost reply).
        var (firstLease, first, firstBacklog) = redis.Writer("twice", TimeSpan.FromSeconds(10));
        var (_, second, secondBacklog) = redis.Writer("twice", TimeSpan.FromSeconds(10));
        Assert.True(await firstLease.TryAcquireOrRenewAsync().WaitAsync(Wait, Ct));
        for (var seq = 1; seq <= 5; seq++)
        {
            firstBacklog.Add(Tick("twice", seq));
            secondBacklog.Add(Tick("twice", seq));
        }

        Assert.Equal(PublishOutcome.Published, (await first.PublishAsync(Tick("twice", 3), Ct).WaitAsync(Wait, Ct)).Outcome);
        Assert.Equal(PublishOutcome.Published, (await second.PublishAsync(Tick("twice", 5), Ct).WaitAsync(Wait, Ct)).Outcome);
        Assert.Equal(PublishOutcome.Published, (await first.PublishAsync(Tick("twice", 5), Ct).WaitAsync(Wait, Ct)).Outcome);

        var members = await redis.Client.GetDatabase().SortedSetRangeByScoreAsync("prices:btc:usd:ts").WaitAsync(Wait, Ct);
        Assert.Equal(Enumerable.Range(1, 5).Select(seq => $"{64_000 + seq}:twice:{seq}"), members.Select(m => m.ToString()));
    }

    [Fact]
    public async Task AStandbyThatTakesOverAddsOnlyWhatTheHistoryLacksAfterItsPredecessor()
    {
        await redis.ResetAsync();
        var (oldLease, old, oldBacklog) = redis.Writer("old", TimeSpan.FromMilliseconds(500));
        var (newLease, standby, standbyBacklog) = redis.Writer("new", TimeSpan.FromSeconds(10));
        Assert.True(await oldLease.TryAcquireOrRenewAsync().WaitAsync(Wait, Ct));
        for (var seq = 1; seq <= 3; seq++)
        {
            oldBacklog.Add(Tick("old", seq));
            Assert.Equal(PublishOutcome.Published, (await old.PublishAsync(Tick("old", seq), Ct).WaitAsync(Wait, Ct)).Outcome);
        }

        // The standby made prices all along, at the same moments and after the old writer died (its lease runs out).
        for (var seq = 1; seq <= 6; seq++)
        {
            standbyBacklog.Add(Tick("new", seq));
        }

        await Eventually.UntilAsync(() => newLease.TryAcquireOrRenewAsync(), "the new writer to take the lease", TestContext.Current.CancellationToken);
        Assert.Equal(PublishOutcome.Published, (await standby.PublishAsync(Tick("new", 6), Ct).WaitAsync(Wait, Ct)).Outcome);

        var members = await redis.Client.GetDatabase().SortedSetRangeByScoreAsync("prices:btc:usd:ts").WaitAsync(Wait, Ct);
        Assert.Equal(["64001:old:1", "64002:old:2", "64003:old:3", "64004:new:4", "64005:new:5", "64006:new:6"], members.Select(m => m.ToString()));
    }
}
