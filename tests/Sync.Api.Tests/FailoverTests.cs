using Platform.TestSupport;
using Sync.Api.Playback;
using Sync.Api.Realtime;

namespace Sync.Api.Tests;

public sealed class FailoverTests(SyncCluster cluster)
{
    [Fact]
    public async Task SentinelFailoverMidSessionKeepsTheTimelineAndResynchronisesClients()
    {
        var ct = TestContext.Current.CancellationToken;
        var host = await cluster.GuestAsync("host");
        var room = await cluster.CreateRoomAsync(host);
        await using var a = await cluster.JoinAsync(host, room.Id, 0);
        await using var b = await cluster.JoinAsync(await cluster.GuestAsync("b", 1), room.Id, 1);
        await a.Call<bool>("SetWaitOptOut", true);
        await b.Call<bool>("SetWaitOptOut", true);
        await a.Call<Timeline>("ChangeMedia", null, "https://media.example/failover.mp4", null, 600_000L);
        await a.Call<Timeline>("Seek", null, 123_000.0);
        var before = await a.Call<Timeline>("Pause", (long?)null);
        await b.WaitForSeqAsync(before.Seq);
        var oldMaster = cluster.Redis.MasterPort;

        await cluster.Redis.FailoverAsync(ct: ct).WaitAsync(TimeSpan.FromSeconds(60), ct);
        Assert.NotEqual(oldMaster, cluster.Redis.MasterPort);

        // The acknowledged timeline survived on the promoted replica.
        var survived = await RetryAsync(() => b.Try<Snapshot>("GetSnapshot"));
        Assert.Equal(SyncClient.Json(before), SyncClient.Json(survived.Timeline));
        await a.WaitForAsync(x => x.Resyncs > 0, "resync after failover (instance A)");
        await b.WaitForAsync(x => x.Resyncs > 0, "resync after failover (instance B)");

        // The room keeps working across instances on the new master.
        var played = await RetryAsync(() => a.Try<Timeline>("Play", before.Seq));
        Assert.Equal(before.Seq + 1, played.Seq);
        await b.WaitForSeqAsync(played.Seq);
        Assert.Equal(SyncClient.Json(played), SyncClient.Json(b.Latest));
    }

    [Fact]
    public async Task BackplaneOutageEndsWithClientsResynchronisedFromTheStoredTimeline()
    {
        var host = await cluster.GuestAsync("host");
        var room = await cluster.CreateRoomAsync(host);
        await using var a = await cluster.JoinAsync(host, room.Id, 0);
        await using var b = await cluster.JoinAsync(await cluster.GuestAsync("b", 1), room.Id, 1);
        await a.Call<bool>("SetWaitOptOut", true);
        await b.Call<bool>("SetWaitOptOut", true);
        var media = await a.Call<Timeline>("ChangeMedia", null, "https://media.example/outage.mp4", null, 600_000L);
        await b.WaitForSeqAsync(media.Seq);
        var (resyncsA, resyncsB) = (a.Resyncs, b.Resyncs);

        // Every Redis client connection dies (as in a network blip): the backplane and the stores reconnect.
        Assert.True(await cluster.Redis.ClientKillAllAsync(TestContext.Current.CancellationToken) > 0);

        await a.WaitForAsync(x => x.Resyncs > resyncsA, "resync after the outage (instance A)");
        await b.WaitForAsync(x => x.Resyncs > resyncsB, "resync after the outage (instance B)");
        var paused = await RetryAsync(() => b.Try<Timeline>("Pause", media.Seq));
        await a.WaitForSeqAsync(paused.Seq);
        Assert.Equal(SyncClient.Json(paused), SyncClient.Json(a.Latest));
    }

    private static async Task<T> RetryAsync<T>(Func<Task<HubResult<T>>> call)
    {
        var result = await Eventually.UntilAsync(call, result =>
        {
            // Refused meanwhile only as unavailable: anything else is a failure of its own, not a wait.
            if (!result.Ok)
            {
                Assert.Equal(ErrorCodes.Unavailable, result.Error!.Code);
            }

            return result.Ok;
        }, "the command to be accepted after the failover", TestContext.Current.CancellationToken, SyncCluster.Timeout, interval: TimeSpan.FromMilliseconds(200));
        return result.Value!;
    }
}
