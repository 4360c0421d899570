using Sync.Api.Playback;
using Sync.Api.Realtime;
using Sync.Api.Rooms;

namespace Sync.Api.Tests;

public sealed class BadInputTests(SyncCluster cluster)
{
    [Fact]
    public async Task EachBadCommandIsATypedErrorAndChangesNothing()
    {
        var host = await cluster.GuestAsync("host");
        var viewer = await cluster.GuestAsync("viewer", 1);
        var room = await cluster.CreateRoomAsync(host);
        await cluster.SendAsync(cluster.Request(HttpMethod.Put, $"/api/rooms/{room.Id}/permissions", host,
            new RoomPermissions(Role.Host, Role.Host, Role.Member)));
        await using var a = await cluster.JoinAsync(host, room.Id, 0);
        await using var b = await cluster.JoinAsync(viewer, room.Id, 1);
        await a.Call<bool>("SetWaitOptOut", true);
        await b.Call<bool>("SetWaitOptOut", true);
        var before = await a.Call<Timeline>("ChangeMedia", null, "https://media.example/ok.mp4", "ok", 60_000L);
        await b.WaitForSeqAsync(before.Seq);

        await using var stranger = await cluster.ConnectAsync(await cluster.GuestAsync("stranger"), 0);
        Assert.Equal(ErrorCodes.UnknownRoom, (await stranger.Refused<Snapshot>("JoinRoom", "no-such-room", null)).Code);
        Assert.Equal(ErrorCodes.NotJoined, (await stranger.Refused<Timeline>("Play", (long?)null)).Code);
        Assert.Equal(ErrorCodes.ChatTooLong, (await a.Refused<ChatMessage>("SendChat", new string('x', 501))).Code);
        Assert.Equal(ErrorCodes.InvalidArgument, (await a.Refused<ChatMessage>("SendChat", "   ")).Code);
        Assert.Equal(ErrorCodes.SeekOutOfRange, (await a.Refused<Timeline>("Seek", (long?)null, -1.0)).Code);
        Assert.Equal(ErrorCodes.SeekOutOfRange, (await a.Refused<Timeline>("Seek", (long?)null, 60_001.0)).Code);
        Assert.Equal(ErrorCodes.InvalidMediaUrl, (await a.Refused<Timeline>("ChangeMedia", (long?)null, "not a url", null, null)).Code);
        Assert.Equal(ErrorCodes.InvalidMediaUrl, (await a.Refused<Timeline>("ChangeMedia", (long?)null, "file:///etc/passwd", null, null)).Code);
        Assert.Equal(ErrorCodes.InvalidMediaUrl, (await a.Refused<QueueItem>("QueueAdd", "ftp://x/y.mp4", null, null)).Code);
        Assert.Equal(ErrorCodes.InvalidArgument, (await a.Refused<Timeline>("SetSpeed", (long?)null, 10.0)).Code);
        Assert.Equal(ErrorCodes.Forbidden, (await b.Refused<Timeline>("Seek", (long?)null, 10.0)).Code);
        Assert.Equal(ErrorCodes.Forbidden, (await b.Refused<QueueItem>("QueueAdd", "https://media.example/x.mp4", null, null)).Code);
        Assert.Equal(ErrorCodes.NotInVoice, (await a.Refused<bool>("SendSignal", "nobody", "offer", "{}")).Code);

        // Still connected, and nothing moved: same timeline, no chat, no queue.
        var after = await b.Call<Snapshot>("GetSnapshot");
        Assert.Equal(SyncClient.Json(before), SyncClient.Json(after.Timeline));
        Assert.Empty(after.RecentChat);
        Assert.Empty(after.Queue);
        Assert.Equal(before.Seq, b.Latest!.Seq);
        Assert.Equal(before.Seq, a.Latest!.Seq);
    }
}
