using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Platform.Prices.Contracts;
using Platform.TestSupport;
using static Prices.Ingest.Tests.Fakes.TestTimeouts;

namespace Prices.Ingest.Tests.Redis;

[Collection(RedisCollection.Name)]
public sealed class FailoverTests(RedisFixture redis)
{
    // A Sentinel failover and a node restart take longer than the usual bound.
    private static readonly TimeSpan FailoverWait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task PublishingResumesOnTheNewMasterAfterTheMasterIsKilledAndEveryPriceMadeMeanwhileIsInTheHistoryOnce()
    {
        await redis.ResetAsync();
        var backfilled = new ConcurrentQueue<long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == PricesMetrics.MeterName && instrument.Name == "prices.backfilled")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => backfilled.Enqueue(value));
        listener.Start();

        var received = new ConcurrentQueue<PriceMessage>();
        var queue = await redis.SubscribeToPricesAsync();
        queue.OnMessage(m => received.Enqueue(PriceMessage.Parse((byte[])m.Message!)));
        var settings = PricesHost.Defaults(redis.Topology.ConnectionString, "failover");
        await using (await PricesHost.StartAsync(settings))
        {
            await Eventually.UntilAsync(() => received.Count >= 5, "five messages", TestContext.Current.CancellationToken);
            var oldMaster = await redis.Topology.KillMasterAsync();
            var killedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var newMaster = await redis.Topology.WaitForNewMasterAsync(oldMaster, Ct).WaitAsync(FailoverWait, Ct);
            Assert.NotEqual(oldMaster, newMaster);

            // Publishing resumes: new messages reach the subscriber (which followed the failover too)...
            await Eventually.UntilAsync(() => received.Count(m => m.Timestamp > killedAt) >= 5, "five messages after the master was killed", TestContext.Current.CancellationToken, TimeSpan.FromSeconds(30));
            await Eventually.UntilAsync(() => !backfilled.IsEmpty, "a back-filled price", TestContext.Current.CancellationToken);

            // ...and the history on the new master holds every price the writer made, through the outage, each once
            // and at its own time: its sequence numbers run without a hole and their timestamps rise with them.
            var db = redis.Client.GetDatabase();
            var history = await db.SortedSetRangeByScoreWithScoresAsync("prices:btc:usd:ts").WaitAsync(FailoverWait, Ct);
            var ticks = history.Select(e => (Seq: long.Parse(e.Element.ToString().Split(':')[2], System.Globalization.CultureInfo.InvariantCulture), At: (long)e.Score))
                .OrderBy(t => t.Seq).ToList();
            Assert.Contains(ticks, t => t.At > killedAt);
            Assert.Equal(Enumerable.Range((int)ticks[0].Seq, ticks.Count).Select(s => (long)s), ticks.Select(t => t.Seq));
            Assert.Equal(ticks.Select(t => t.At).Order(), ticks.Select(t => t.At));

            // Subscribers never got a price back in time: what was back-filled went to the history only.
            var live = received.Select(m => m.Seq).ToList();
            Assert.Equal(live.Order(), live);
        }

        await queue.UnsubscribeAsync();
        // Bring the killed node back (Sentinel turns it into a replica) so the collection keeps two data nodes.
        await redis.Topology.RestartNodeAsync(redis.Topology.DataNodes.First(n => !n.IsRunning).Port, Ct).WaitAsync(FailoverWait, Ct);
        // Until Sentinel demotes it, the restarted node claims the master role too, and StackExchange.Redis may route to
        // it: the next tests start once the topology has one master again.
        await redis.Topology.WaitUntilStableAsync(redis.Topology.MasterPort, Ct).WaitAsync(FailoverWait, Ct);
    }
}
