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
    public Task AKilledRedisMasterLosesNoBetVoidsNoneAndLeavesViewersOnOneTimeline() => Survives(Fault.MasterKilled);

    [Fact]
    public Task ARedisMasterFrozenPastDownAfterLosesNoBetVoidsNoneAndLeavesViewersOnOneTimeline() => Survives(Fault.MasterFrozen);

    [Fact]
    public Task AKilledRedisReplicaLosesNoBetAndLeavesViewersOnOneTimeline() => Survives(Fault.RedisReplicaKilled);

    [Fact]
    public Task AKilledSyncApiReplicaLosesNoBetAndItsViewersRejoinTheSameTimeline() => Survives(Fault.SyncReplicaKilled);

    [Fact]
    public Task AKilledBetsApiLosesNoAcknowledgedBetAndPlacesNoneTwice() => Survives(Fault.BetsApiKilled);

    private async Task Survives(Fault fault)
    {
        var report = await host.Scenario.RunAsync(fault, TestContext.Current.CancellationToken);

        Assert.True(report.Acked > 0, "no bet was acknowledged");
        Assert.True(report.Problems.Count == 0, report.ToString());
        Assert.Equal((0, 0, 0, true), (report.Lost, report.Duplicated, report.Voided, report.Converged));
    }
}
