using Sync.Api.Realtime;
using Sync.Api.Rooms;

namespace Sync.Api.Tests;

public sealed class PresenceAndVoiceTests(SyncCluster cluster)
{
    private const string LastSignal = "{\"candidate\":\"last\"}";

    [Fact]
    public async Task SilentConnectionLeavesPresenceAfterExpiryAndClosedOneAtOnce()
    {
        var host = await cluster.GuestAsync("host");
        var quiet = await cluster.GuestAsync("quiet", 1);
        var gone = await cluster.GuestAsync("gone", 1);
        var room = await cluster.CreateRoomAsync(host);
        await using var a = await cluster.JoinAsync(host, room.Id, 0);
        await using var b = await cluster.JoinAsync(quiet, room.Id, 1);
        var c = await cluster.JoinAsync(gone, room.Id, 1);
        await a.WaitForAsync(x => Online(x, quiet.UserId) && Online(x, gone.UserId), "both online");

        b.StopHeartbeats();
        await a.WaitForAsync(x => !Online(x, quiet.UserId), "silent member expired");
        Assert.True(Online(a, gone.UserId));

        c.Hub.Abort();
        await a.WaitForAsync(x => !Online(x, gone.UserId), "closed connection removed");
        await c.DisposeAsync();

        // A heartbeat from the expired connection brings it back.
        await b.Call<bool>("Heartbeat", 30);
        await a.WaitForAsync(x => Online(x, quiet.UserId), "member back after heartbeat");
    }

    [Fact]
    public async Task RateLimitIsATypedErrorThatKeepsTheConnection()
    {
        var host = await cluster.GuestAsync("host");
        var room = await cluster.CreateRoomAsync(host);
        await using var a = await cluster.JoinAsync(host, room.Id, 0);
        await using var b = await cluster.JoinAsync(host, room.Id, 1);

        // The bucket is shared by the user's connections on both instances, and does not refill while the test runs.
        for (var i = 0; i < SyncCluster.ReactionBurst; i++)
        {
            await (i % 2 == 0 ? a : b).Call<bool>("SendReaction", "🎉");
        }

        var refused = await b.Refused<bool>("SendReaction", "🎉");
        Assert.Equal(ErrorCodes.RateLimited, refused.Code);
        // The time until the next token, at most one token's refill.
        Assert.InRange(refused.RetryAfterMs ?? 0, 1, (long)(1000 / SyncCluster.ReactionsPerSecond));
        Assert.True(await b.Hub.InvokeAsync<long>("GetServerTime") > 0);
        await a.WaitForAsync(x => x.Reactions.Count == SyncCluster.ReactionBurst, "every reaction the bucket let through delivered");

        // The bucket's key lasts until it would be full again, at most a whole burst's refill.
        var ttl = await cluster.Redis.CommandAsync(cluster.Redis.MasterPort, "PTTL", $"sync:rl:{host.UserId:N}:reaction");
        Assert.InRange((long)ttl!, 1, (long)(SyncCluster.ReactionBurst * 1000 / SyncCluster.ReactionsPerSecond));
    }

    [Fact]
    public async Task VoiceHasACapA24HourRecordAndAShortHeartbeat()
    {
        var room = await cluster.CreateRoomAsync(await cluster.GuestAsync("owner"));
        var clients = new List<SyncClient>();
        for (var i = 0; i < 4; i++)
        {
            clients.Add(await cluster.JoinAsync(await cluster.GuestAsync($"v{i}", i % 2), room.Id, i % 2));
        }

        for (var i = 0; i < 3; i++)
        {
            var others = await clients[i].Call<List<VoicePeer>>("JoinVoice");
            Assert.Equal(i, others.Count);
        }

        Assert.Equal(ErrorCodes.VoiceFull, (await clients[3].Refused<List<VoicePeer>>("JoinVoice")).Code);
        var ttl = (long)(await cluster.Redis.CommandAsync(cluster.Redis.MasterPort, "PTTL", $"sync:room:{room.Id}:voice"))!;
        Assert.InRange(ttl, (long)TimeSpan.FromHours(23).TotalMilliseconds, (long)TimeSpan.FromHours(24).TotalMilliseconds);

        // Peers 0 and 1 keep their voice heartbeat; peer 2 goes silent and drops out, freeing a place.
        using var cts = new CancellationTokenSource();
        var beats = Task.Run(async () =>
        {
            while (!cts.IsCancellationRequested)
            {
                await clients[0].Call<bool>("VoiceHeartbeat");
                await clients[1].Call<bool>("VoiceHeartbeat");
                await Task.Delay(300, CancellationToken.None);
            }
        }, TestContext.Current.CancellationToken);
        await clients[3].WaitForAsync(x => x.Voice?.Count == 2, "silent voice peer removed");
        Assert.Equal(ErrorCodes.NotInVoice, (await clients[2].Refused<bool>("VoiceHeartbeat")).Code);
        Assert.Equal(2, (await clients[3].Call<List<VoicePeer>>("JoinVoice")).Count);
        await cts.CancelAsync();
        await beats.WaitAsync(SyncCluster.Timeout, TestContext.Current.CancellationToken);
        foreach (var c in clients)
        {
            await c.DisposeAsync();
        }
    }

    [Fact]
    public async Task WebRtcSignalsAreRelayedOnlyBetweenVoicePeersOfOneRoom()
    {
        var room = await cluster.CreateRoomAsync(await cluster.GuestAsync("owner"));
        var elsewhere = await cluster.CreateRoomAsync(await cluster.GuestAsync("owner2"));
        await using var a = await cluster.JoinAsync(await cluster.GuestAsync("alice"), room.Id, 0);
        await using var b = await cluster.JoinAsync(await cluster.GuestAsync("bob", 1), room.Id, 1);
        // On bob's instance, so that a signal it wrongly got through to alice would travel the way bob's do.
        await using var listener = await cluster.JoinAsync(await cluster.GuestAsync("listener", 1), room.Id, 1);
        await using var x = await cluster.JoinAsync(await cluster.GuestAsync("xavier", 1), elsewhere.Id, 1);
        // In xavier's room on alice's instance: her signals to xavier travel the way one from alice would.
        await using var y = await cluster.JoinAsync(await cluster.GuestAsync("yvonne"), elsewhere.Id, 0);
        await a.Call<List<VoicePeer>>("JoinVoice");
        var bobSees = await b.Call<List<VoicePeer>>("JoinVoice");
        var alicePeer = Assert.Single(bobSees).PeerId;
        await x.Call<List<VoicePeer>>("JoinVoice");
        var xavierPeer = Assert.Single(await y.Call<List<VoicePeer>>("JoinVoice")).PeerId;
        await a.WaitForAsync(c => c.Voice?.Count == 2, "bob in voice");
        var bobPeer = a.Voice!.Single(p => p.UserId == b.Guest.UserId).PeerId;

        await b.Call<bool>("SendSignal", alicePeer, "offer", "{\"sdp\":\"v=0\"}");
        await a.WaitForAsync(c => c.Signals.Count == 1, "offer relayed across instances");
        Assert.True(a.Signals.TryPeek(out var offer));
        Assert.Equal(("offer", bobPeer, b.Guest.UserId), (offer.Kind, offer.FromPeerId, offer.FromUserId));
        await a.Call<bool>("SendSignal", bobPeer, "answer", "{\"sdp\":\"v=0\"}");
        await b.WaitForAsync(c => c.Signals.Count == 1, "answer relayed");

        Assert.Equal(ErrorCodes.UnknownPeer, (await a.Refused<bool>("SendSignal", xavierPeer, "offer", "{}")).Code);
        Assert.Equal(ErrorCodes.UnknownPeer, (await x.Refused<bool>("SendSignal", alicePeer, "offer", "{}")).Code);
        Assert.Equal(ErrorCodes.NotInVoice, (await listener.Refused<bool>("SendSignal", alicePeer, "ice", "{}")).Code);
        Assert.Equal(ErrorCodes.InvalidArgument, (await a.Refused<bool>("SendSignal", bobPeer, "hack", "{}")).Code);

        // A refused signal that slipped through would have been sent before its refusal came back, and SignalR delivers
        // what one instance sends one connection in order: a signal sent now the same way arrives after it.
        await b.Call<bool>("SendSignal", alicePeer, "ice", LastSignal);
        await a.Call<bool>("SendSignal", bobPeer, "ice", LastSignal);
        await y.Call<bool>("SendSignal", xavierPeer, "offer", LastSignal);
        // The listener is no voice peer: a signal could reach it only as a broadcast to the room, which is how chat goes.
        await a.Call<ChatMessage>("SendChat", "last from instance 0");
        await b.Call<ChatMessage>("SendChat", "last from instance 1");
        await a.WaitForAsync(c => c.Signals.Any(s => s.Payload == LastSignal), "bob's last signal");
        await b.WaitForAsync(c => c.Signals.Any(s => s.Payload == LastSignal), "alice's last signal");
        await x.WaitForAsync(c => c.Signals.Any(s => s.Payload == LastSignal), "yvonne's signal");
        await listener.WaitForAsync(c => c.Chat.Count(m => m.Text.StartsWith("last from", StringComparison.Ordinal)) == 2, "the chat from both instances");

        Assert.Equal([("offer", b.Guest.UserId), ("ice", b.Guest.UserId)], a.Signals.Select(s => (s.Kind, s.FromUserId)));
        Assert.Equal([("answer", a.Guest.UserId), ("ice", a.Guest.UserId)], b.Signals.Select(s => (s.Kind, s.FromUserId)));
        Assert.Equal([("offer", y.Guest.UserId)], x.Signals.Select(s => (s.Kind, s.FromUserId)));
        Assert.Empty(listener.Signals);
    }

    [Fact]
    public async Task EveryoneEndsWithTheWholeVoiceListWhenPeersJoinAtOnceOnBothReplicas()
    {
        // Each replica delivers its own broadcast to its sockets at once and the other's through Redis, so the list
        // taken before a concurrent join can arrive last. The revision lets every client keep the newest list.
        var room = await cluster.CreateRoomAsync(await cluster.GuestAsync("owner"));
        var clients = new List<SyncClient>();
        for (var i = 0; i < 4; i++)
        {
            clients.Add(await cluster.JoinAsync(await cluster.GuestAsync($"p{i}", i % 2), room.Id, i % 2));
        }

        for (var round = 0; round < 5; round++)
        {
            await Task.WhenAll(clients.Take(3).Select(c => c.Call<List<VoicePeer>>("JoinVoice")));
            foreach (var c in clients)
            {
                await c.WaitForAsync(x => x.Voice?.Count == 3, $"all three in voice (round {round})");
            }

            await Task.WhenAll(clients.Take(3).Select(c => c.Call<bool>("LeaveVoice")));
            foreach (var c in clients)
            {
                await c.WaitForAsync(x => x.Voice?.Count == 0, $"voice empty (round {round})");
            }
        }

        foreach (var c in clients)
        {
            await c.DisposeAsync();
        }
    }

    [Fact]
    public async Task StateBroadcastsCarryRevisionsAboveTheSnapshotAndRisingAfterTheCounterIsLost()
    {
        var owner = await cluster.GuestAsync("owner");
        var room = await cluster.CreateRoomAsync(owner);
        await using var a = await cluster.ConnectAsync(owner, 0);
        var revisions = new List<long>();
        a.Hub.On("QueueChanged", args =>
        {
            lock (revisions)
            {
                revisions.Add(args[1].GetInt64());
            }
        });
        var snapshot = await a.Call<Snapshot>("JoinRoom", room.Id, null);
        await a.Call<QueueItem>("QueueAdd", "http://media.test/a.webm", "a", 1000);

        // A failover can lose the last increments, and the key expires with an idle room: the revision must still rise.
        await cluster.Redis.CommandAsync(cluster.Redis.MasterPort, "DEL", RoomRevisions.Key(room.Id));
        await a.Call<QueueItem>("QueueAdd", "http://media.test/b.webm", "b", 1000);
        await a.WaitForAsync(_ => { lock (revisions) { return revisions.Count == 2; } }, "two queue broadcasts");
        Assert.True(revisions[0] > snapshot.Revision, $"{revisions[0]} > {snapshot.Revision}");
        Assert.True(revisions[1] > revisions[0], $"{revisions[1]} > {revisions[0]}");

        var again = await a.Call<Snapshot>("GetSnapshot");
        Assert.Equal(revisions[1], again.Revision);
    }

    private static bool Online(SyncClient client, Guid user) => client.Members?.Any(m => m.UserId == user && m.Online) == true;
}
