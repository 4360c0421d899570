using Platform.FaultScenario;

namespace Platform.Faults.Tests;

/// <summary>
/// Each fault under a bounded load of bets and a room of viewers on both Sync.Api replicas (FaultScenario). After
/// each: every acknowledged bet is stored exactly once, every balance equals its ledger, no bet was voided (across a
/// Redis fault the bets whose windows spanned it are waited for until they resolve), and every viewer holds the
/// server's timeline with no seq ever seen with two states.
/// </summary>
[Collection(nameof(FaultSuite))]
public sealed class FaultTests(FaultAppHost host)
{
    [Fact]
    public Task ASentinelFailoverUnderLoadLosesNoBetVoidsNoneAndLeavesViewersOnOneTimeline() => Survives(Fault.SentinelFailover);

    [Fact]
    public Task AKilledRedisMasterLosesNoBetAndVoidsNone() => Survives(Fault.MasterKilled, viewersMustConverge: false);

    // Found by this suite: the killed master used to be started again within a second, before Sentinel's down-after,
    // reload its AOF (fsync every second), stay master and have its replica resynchronise from it, losing a timeline
    // change acknowledged by WAIT. A node now starts again only in the role the Sentinels give it (RedisNodeRestart).
    [Fact]
    public Task AKilledRedisMasterLeavesViewersOnOneTimeline() => Survives(Fault.MasterKilled);

    // Found by this suite: after the master was frozen past down-after and thawed, the two Sync.Api replicas' backplane
    // subscriptions could end on different nodes, one a replica, and each replica's publishes (sent over its own
    // subscription) reached only the viewers of replicas listening on that node. The backplane publishes through the
    // master now (PublishThroughMaster).
    [Fact]
    public Task ARedisMasterFrozenPastDownAfterLosesNoBetVoidsNoneAndLeavesViewersOnOneTimeline() => Survives(Fault.MasterFrozen);

    [Fact]
    public Task AKilledRedisReplicaLosesNoBetAndLeavesViewersOnOneTimeline() => Survives(Fault.RedisReplicaKilled);

    [Fact]
    public Task AKilledSyncApiReplicaLosesNoBetAndItsViewersRejoinTheSameTimeline() => Survives(Fault.SyncReplicaKilled);

    [Fact]
    public Task AKilledBetsApiLosesNoAcknowledgedBetAndPlacesNoneTwice() => Survives(Fault.BetsApiKilled);

    private async Task Survives(Fault fault, bool viewersMustConverge = true)
    {
        var report = await host.Scenario.RunAsync(fault, TestContext.Current.CancellationToken);

        Assert.True(report.Acked > 0, "no bet was acknowledged");
        Assert.True(report.Problems.Except(viewersMustConverge ? [] : report.ViewerProblems).Any() is false, report.ToString());
        Assert.Equal((0, 0, 0), (report.Lost, report.Duplicated, report.Voided));
        Assert.True(report.Converged || !viewersMustConverge, report.ToString());
    }
}
