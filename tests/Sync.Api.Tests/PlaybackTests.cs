using Sync.Api.Playback;
using Sync.Api.Realtime;

namespace Sync.Api.Tests;

public sealed class PlaybackTests(SyncCluster cluster)
{
    private const string Video = "https://media.example/big-buck-bunny.mp4";

    [Fact]
    public async Task MediaChangeWaitsForEveryMemberThenPlaysOnBothInstances()
    {
        var host = await cluster.GuestAsync("host");
        var guest = await cluster.GuestAsync("guest", 1);
        var room = await cluster.CreateRoomAsync(host);
        await using var a = await cluster.JoinAsync(host, room.Id, 0);
        await using var b = await cluster.JoinAsync(guest, room.Id, 1);

        var changed = await a.Call<Timeline>("ChangeMedia", a.Latest!.Seq, Video, "Bunny", 600_000L);
        Assert.Equal(WaitReason.Media, changed.Waiting!.Reason);
        Assert.Equal(new[] { host.UserId, guest.UserId }.Order(), changed.Waiting.Pending.Order());
        await b.WaitForSeqAsync(changed.Seq);

        await a.Call<Timeline>("ReportReady", 0.0);
        var resumed = await b.Call<Timeline>("ReportReady", 120.0);
        Assert.Null(resumed.Waiting);
        Assert.True(resumed.Playing);
        await a.WaitForSeqAsync(resumed.Seq);
        Assert.Equal(resumed, a.Latest);

        var paused = await b.Call<Timeline>("Pause", resumed.Seq);
        Assert.False(paused.Playing);
        await a.WaitForSeqAsync(paused.Seq);
        Assert.Equal(paused, a.Latest);
        Assert.Equal(0, a.StaleDeliveries + b.StaleDeliveries);
    }

    [Fact]
    public async Task PlayIsScheduledAheadByTheSlowestMembersRoundTrip()
    {
        var host = await cluster.GuestAsync("host");
        var room = await cluster.CreateRoomAsync(host);
        await using var a = await cluster.JoinAsync(host, room.Id, 0);
        await a.Call<bool>("SetWaitOptOut", true);
        await a.Call<bool>("Heartbeat", 900);
        await a.Call<Timeline>("ChangeMedia", null, Video, null, null);
        await a.Call<Timeline>("Pause", (long?)null);

        var before = await a.Hub.InvokeAsync<long>("GetServerTime");
        var played = await a.Call<Timeline>("Play", (long?)null);
        var after = await a.Hub.InvokeAsync<long>("GetServerTime");

        // Half of 900 ms plus the 100 ms margin after the server took the command, which it did between the two readings.
        Assert.InRange(played.AtServerMs - 550, before, after);
    }

    [Fact]
    public async Task StaleCommandIsRefusedWithTheCurrentTimeline()
    {
        var host = await cluster.GuestAsync("host");
        var room = await cluster.CreateRoomAsync(host);
        await using var a = await cluster.JoinAsync(host, room.Id, 0);
        await a.Call<bool>("SetWaitOptOut", true);
        var media = await a.Call<Timeline>("ChangeMedia", null, Video, null, 60_000L);

        var refused = await a.Try<Timeline>("Pause", media.Seq - 1);

        Assert.False(refused.Ok);
        Assert.Equal(ErrorCodes.Stale, refused.Error!.Code);
        Assert.Equal(media, refused.Value);
        Assert.Equal(media, (await a.Call<Snapshot>("GetSnapshot")).Timeline);
    }

    [Fact]
    public async Task LateJoinerGetsTheLivePositionNotZero()
    {
        var host = await cluster.GuestAsync("host");
        var late = await cluster.GuestAsync("late", 1);
        var room = await cluster.CreateRoomAsync(host);
        await using var a = await cluster.JoinAsync(host, room.Id, 0);
        await a.Call<bool>("SetWaitOptOut", true);
        await a.Call<Timeline>("ChangeMedia", null, Video, null, 600_000L);
        var seeked = await a.Call<Timeline>("Seek", null, 42_000.0);
        Assert.True(seeked.Advancing);

        await using var b = await cluster.JoinAsync(late, room.Id, 1);
        var now = await b.Hub.InvokeAsync<long>("GetServerTime");

        Assert.Equal(seeked.Seq, b.Latest!.Seq);
        Assert.True(b.Latest.PositionAt(now) >= 42_000);
    }

    [Fact]
    public async Task ReconnectResumesTheRoomAndTimeline()
    {
        var host = await cluster.GuestAsync("host");
        var room = await cluster.CreateRoomAsync(host);
        var a = await cluster.JoinAsync(host, room.Id, 0);
        await a.Call<bool>("SetWaitOptOut", true);
        await a.Call<Timeline>("ChangeMedia", null, Video, null, 600_000L);
        var seeked = await a.Call<Timeline>("Seek", null, 90_000.0);
        a.Hub.Abort();
        await a.DisposeAsync();

        await using var again = await cluster.ConnectAsync(host, 1);
        var snapshot = await again.Call<Snapshot>("Resume");

        Assert.Equal(room.Id, snapshot.Room.Id);
        Assert.Equal(seeked.Seq, snapshot.Timeline.Seq);
        Assert.True(snapshot.Timeline.PositionAt(snapshot.ServerTimeMs) >= 90_000);
        await again.Call<Timeline>("Pause", snapshot.Timeline.Seq);
    }
}
