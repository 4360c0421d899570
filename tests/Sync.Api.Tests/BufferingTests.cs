using Sync.Api.Playback;

namespace Sync.Api.Tests;

public sealed class BufferingTests(SyncCluster cluster)
{
    [Fact]
    public async Task FirstLoadWaitsForReadyMembersAndEndsAtTheCapForOneThatNeverLoads()
    {
        var (a, b, c) = await ThreeMembersAsync();
        var media = await a.Call<Timeline>("ChangeMedia", null, "https://media.example/first.mp4", null, 120_000L);
        Assert.Equal(3, media.Waiting!.Pending.Count);

        await a.Call<Timeline>("ReportReady", 0.0);
        var mismatch = await b.Try<Timeline>("ReportReady", 2_000.0);
        Assert.Equal(ErrorCodes.PositionMismatch, mismatch.Error!.Code);
        var afterB = await b.Call<Timeline>("ReportReady", 450.0);
        Assert.Equal([c.Guest.UserId], afterB.Waiting!.Pending);

        // c never reports: the first-load cap (3 s in tests) releases the room.
        await a.WaitForAsync(x => x.Latest is { Waiting: null, Playing: true }, "wait ended at its deadline");
        await c.WaitForSeqAsync(a.Latest!.Seq);
        Assert.Equal(SyncClient.Json(a.Latest), SyncClient.Json(c.Latest));
        Assert.Equal(ErrorCodes.NotWaiting, (await c.Refused<Timeline>("ReportReady", 0.0)).Code);
        await DisposeAll(a, b, c);
    }

    [Fact]
    public async Task RebufferHoldsTheRoomAtTheLivePositionForAtMostTheCap()
    {
        var (a, b, c) = await ThreeMembersAsync();
        await b.Call<bool>("SetWaitOptOut", true);
        await c.Call<bool>("SetWaitOptOut", true);
        var media = await a.Call<Timeline>("ChangeMedia", null, "https://media.example/rebuffer.mp4", null, 120_000L);
        Assert.Equal([a.Guest.UserId], media.Waiting!.Pending);
        var playing = await a.Call<Timeline>("ReportReady", 0.0);
        Assert.True(playing.Advancing);

        var stalled = await b.Call<Timeline>("ReportBuffering", 500.0);
        Assert.Equal(playing.Seq, stalled.Seq); // opted out: the room does not wait for b

        var held = await a.Call<Timeline>("ReportBuffering", 500.0);
        Assert.Equal(WaitReason.Rebuffer, held.Waiting!.Reason);
        Assert.Equal([a.Guest.UserId], held.Waiting.Pending);
        Assert.InRange(held.Waiting.DeadlineServerMs - held.AtServerMs, 1_900, 2_100);
        // A second stall while waiting does not push the deadline out.
        var again = await a.Call<Timeline>("ReportBuffering", 500.0);
        Assert.Equal(held.Waiting.DeadlineServerMs, again.Waiting!.DeadlineServerMs);

        await c.WaitForAsync(x => x.Latest is { Waiting: null, Playing: true } && x.Latest.Seq > held.Seq, "rebuffer cap released the room");
        Assert.Equal(held.PositionMs, c.Latest!.PositionMs);
        await DisposeAll(a, b, c);
    }

    [Fact]
    public async Task SeekWaitsOnlyForMembersWhoDidNotOptOut()
    {
        var (a, b, c) = await ThreeMembersAsync();
        await c.Call<bool>("SetWaitOptOut", true);
        await a.Call<Timeline>("ChangeMedia", null, "https://media.example/seek.mp4", null, 120_000L);
        await a.Call<Timeline>("ReportReady", 0.0);
        await b.Call<Timeline>("ReportReady", 0.0);

        var seek = await c.Call<Timeline>("Seek", null, 60_000.0);
        Assert.Equal(new[] { a.Guest.UserId, b.Guest.UserId }.Order(), seek.Waiting!.Pending.Order());
        await a.Call<Timeline>("ReportReady", 60_100.0);
        var done = await b.Call<Timeline>("ReportReady", 59_700.0);
        Assert.True(done.Advancing);
        Assert.Equal(60_000, done.PositionMs);
        await DisposeAll(a, b, c);
    }

    private async Task<(SyncClient, SyncClient, SyncClient)> ThreeMembersAsync()
    {
        var host = await cluster.GuestAsync("host");
        var room = await cluster.CreateRoomAsync(host);
        var a = await cluster.JoinAsync(host, room.Id, 0);
        var b = await cluster.JoinAsync(await cluster.GuestAsync("b", 1), room.Id, 1);
        var c = await cluster.JoinAsync(await cluster.GuestAsync("c"), room.Id, 0);
        return (a, b, c);
    }

    private static async Task DisposeAll(params SyncClient[] clients)
    {
        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }
    }
}
