using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using StackExchange.Redis;
using Prices.Ingest.Publishing;
using Prices.Ingest.Tests.Fakes;
using static Prices.Ingest.Tests.Fakes.TestTimeouts;

namespace Prices.Ingest.Tests.Redis;

[Collection(RedisCollection.Name)]
public sealed class FailoverTests(RedisFixture redis)
{
    // A Sentinel failover and a node restart take longer than the usual bound.
    private static readonly TimeSpan FailoverWait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task PublishingResumesOnTheNewMasterAfterTheMasterIsKilledAndTheGapIsBoundedAndReported()
    {
        await redis.ResetAsync();
        var reportedGaps = new ConcurrentQueue<double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == PricesMetrics.MeterName && instrument.Name == "prices.history.gap")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((_, value, _, _) => reportedGaps.Enqueue(value));
        listener.Start();

        var received = new ConcurrentQueue<PriceMessage>();
        var queue = await redis.SubscribeToPricesAsync();
        queue.OnMessage(m => received.Enqueue(PriceMessage.Parse((byte[])m.Message!)));
        var settings = PricesHost.Defaults(redis.Topology.ConnectionString, "failover");
        await using (await PricesHost.StartAsync(settings))
        {
            await Poll.Until(() => received.Count >= 5);
            var oldMaster = await redis.Topology.KillMasterAsync();
            var killedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var newMaster = await redis.Topology.WaitForNewMasterAsync(oldMaster, Ct).WaitAsync(FailoverWait, Ct);
            Assert.NotEqual(oldMaster, newMaster);

            // Publishing resumes: new messages reach the subscriber (which followed the failover too)...
            await Poll.Until(() => received.Count(m => m.Timestamp > killedAt) >= 5, seconds: 30);

            // ...and the history on the new master continues after the kill.
            var db = redis.Client.GetDatabase();
            var history = await db.SortedSetRangeByScoreWithScoresAsync("prices:btc:usd:ts").WaitAsync(FailoverWait, Ct);
            var scores = history.Select(e => (long)e.Score).ToList();
            Assert.Contains(scores, s => s > killedAt);

            // The hole is bounded (detection + promotion + reconnect) and reported as a history gap.
            var gap = scores.Zip(scores.Skip(1), (a, b) => b - a).Max();
            TestContext.Current.TestOutputHelper?.WriteLine($"largest history gap {gap} ms; reported gaps: {string.Join(", ", reportedGaps)}");
            // A killed master is only declared down after a second of silence, so there always is a hole past two cadences.
            Assert.InRange(gap, 1_000, 20_000);
            await Poll.Until(() => !reportedGaps.IsEmpty);
            Assert.Contains(reportedGaps, g => Math.Abs(g - gap) < 1_000);
        }

        await queue.UnsubscribeAsync();
        // Bring the killed node back (Sentinel turns it into a replica) so the collection keeps two data nodes.
        await redis.Topology.RestartNodeAsync(redis.Topology.DataNodes.First(n => !n.IsRunning).Port, Ct).WaitAsync(FailoverWait, Ct);
        // Until Sentinel demotes it, the restarted node claims the master role too, and StackExchange.Redis may route to
        // it: the next tests start once the topology has one master again.
        await redis.Topology.WaitUntilStableAsync(redis.Topology.MasterPort, Ct).WaitAsync(FailoverWait, Ct);
    }
}
