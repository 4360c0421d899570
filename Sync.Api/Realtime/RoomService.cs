using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Sync.Api.Playback;
using Sync.Api.Rooms;

namespace Sync.Api.Realtime;

/// <summary>Room-level reads and broadcasts shared by the hub, the HTTP API and the background sweeps.</summary>
public sealed class RoomService(
    RoomStore rooms,
    PresenceStore presence,
    TimelineStore timelines,
    RoomRevisions revisions,
    IConnectionMultiplexer redis,
    IHubContext<SyncHub, ISyncClient> hub,
    IOptions<SyncOptions> options)
{
    private static readonly TimeSpan LastRoomTtl = TimeSpan.FromHours(24);

    public static string LastRoomKey(Guid userId) => $"sync:user:{userId:N}:room";

    public Task RememberRoomAsync(Guid userId, string roomId) =>
        redis.GetDatabase().StringSetAsync(LastRoomKey(userId), roomId, LastRoomTtl);

    public async Task<string?> LastRoomAsync(Guid userId)
    {
        var value = await redis.GetDatabase().StringGetAsync(LastRoomKey(userId));
        return value.HasValue ? value.ToString() : null;
    }

    public async Task<IReadOnlyList<Member>> MembersAsync(string roomId, CancellationToken ct = default)
    {
        var online = (await presence.ListAsync(roomId)).Values.ToLookup(e => e.UserId);
        return (await rooms.MembersAsync(roomId, ct))
            .Select(m => new Member(m.UserId, m.DisplayName, m.Role, online.Contains(m.UserId), online[m.UserId].Any(e => e.OptOut)))
            .ToList();
    }

    public async Task<Snapshot> SnapshotAsync(string roomId, Guid userId, CancellationToken ct = default)
    {
        var revision = await revisions.CurrentAsync(roomId);
        var room = await rooms.GetAsync(roomId, ct) ?? throw new SyncException(ErrorCodes.UnknownRoom, $"Room '{roomId}' does not exist.");
        var members = await MembersAsync(roomId, ct);
        var you = members.FirstOrDefault(m => m.UserId == userId) ?? throw new SyncException(ErrorCodes.Forbidden, "You are not a member of this room.");
        var chat = await rooms.ChatAsync(roomId, null, 50, ct);
        return new Snapshot(room.Room, you, members, await rooms.QueueAsync(roomId, ct), await timelines.GetAsync(roomId, ct),
            await presence.VoicePeersAsync(roomId), chat.Reverse().ToList(), timelines.NowMs, revision);
    }

    /// <summary>The transition context: play starts after the slowest member's one-way delay plus a margin, and
    /// waits cover every online member that did not opt out. Pause and speed changes need neither, so they skip the
    /// presence read (the hot path of a busy room).</summary>
    public async Task<TimelineRules.Context> ContextAsync(string roomId, bool needsPresence = true)
    {
        var o = options.Value;
        var entries = needsPresence ? (await presence.ListAsync(roomId)).Values : (ICollection<PresenceEntry>)[];
        var maxRtt = entries.Select(e => e.RttMs ?? 0).DefaultIfEmpty(0).Max();
        var lead = Math.Clamp((maxRtt / 2) + o.LeadMarginMs, o.MinLeadMs, Math.Max(o.MinLeadMs, o.MaxLeadMs));
        var waitFor = entries.Where(e => !e.OptOut).Select(e => e.UserId).Distinct().Order().ToList();
        return new TimelineRules.Context(timelines.NowMs, lead, waitFor, o);
    }

    /// <summary>Stops waiting for a member who left, went silent or opted out.</summary>
    public async Task ReleaseAsync(string roomId, Guid userId)
    {
        var current = await timelines.GetAsync(roomId);
        if (current.Waiting is { } w && w.Pending.Contains(userId))
        {
            var context = await ContextAsync(roomId);
            await timelines.UpdateAsync(roomId, null, t => t.Waiting is { } tw ? TimelineRules.Release(t, context, tw, userId) : t);
        }
    }

    // Each broadcast takes its revision before reading the state it sends (see RoomRevisions).
    public async Task BroadcastMembersAsync(string roomId)
    {
        var revision = await revisions.NextAsync(roomId);
        await hub.Clients.Group(roomId).MembersChanged(await MembersAsync(roomId), revision);
    }

    public async Task BroadcastQueueAsync(string roomId)
    {
        var revision = await revisions.NextAsync(roomId);
        await hub.Clients.Group(roomId).QueueChanged(await rooms.QueueAsync(roomId, CancellationToken.None), revision);
    }

    public async Task<IReadOnlyList<VoicePeer>> BroadcastVoiceAsync(string roomId)
    {
        var revision = await revisions.NextAsync(roomId);
        var peers = await presence.VoicePeersAsync(roomId);
        await hub.Clients.Group(roomId).VoiceChanged(peers, revision);
        return peers;
    }

    public async Task<Room> BroadcastRoomAsync(string roomId, CancellationToken ct)
    {
        var revision = await revisions.NextAsync(roomId);
        var room = (await rooms.GetAsync(roomId, ct) ?? throw new SyncException(ErrorCodes.UnknownRoom, $"Room '{roomId}' does not exist.")).Room;
        await hub.Clients.Group(roomId).RoomChanged(room, revision);
        return room;
    }
}
