using Sync.Api.Playback;
using Sync.Api.Rooms;

namespace Sync.Api.Realtime;

public sealed partial class SyncHub
{
    private static readonly HashSet<string> SignalKinds = new(StringComparer.Ordinal) { "offer", "answer", "ice", "bye" };

    public Task<HubResult<QueueItem>> QueueAdd(string url, string? title, long? durationMs) => Run(async () =>
    {
        TimelineRules.ValidateMedia(url, title, durationMs);
        var roomId = await DemandAsync("queue", RoomAction.Queue);
        var item = await rooms.EnqueueAsync(roomId, UserId, url, title, durationMs, Context.ConnectionAborted);
        await roomService.BroadcastQueueAsync(roomId);
        return item;
    });

    public Task<HubResult<bool>> QueueRemove(long itemId) => Run(async () =>
    {
        var roomId = await DemandAsync("queue", RoomAction.Queue);
        if (!await rooms.DequeueAsync(roomId, itemId, Context.ConnectionAborted))
        {
            throw new SyncException(ErrorCodes.InvalidArgument, $"Queue item {itemId} is not in this room.");
        }

        await roomService.BroadcastQueueAsync(roomId);
        return true;
    });

    public Task<HubResult<bool>> QueueMove(long itemId, int toIndex) => Run(async () =>
    {
        var roomId = await DemandAsync("queue", RoomAction.Queue);
        if (!await rooms.MoveAsync(roomId, itemId, toIndex, Context.ConnectionAborted))
        {
            throw new SyncException(ErrorCodes.InvalidArgument, $"Queue item {itemId} is not in this room.");
        }

        await roomService.BroadcastQueueAsync(roomId);
        return true;
    });

    public Task<HubResult<ChatMessage>> SendChat(string text) => Run(async () =>
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new SyncException(ErrorCodes.InvalidArgument, "A chat message must not be empty.");
        }

        if (text.Length > options.Value.MaxChatLength)
        {
            throw new SyncException(ErrorCodes.ChatTooLong, $"A chat message has at most {options.Value.MaxChatLength} characters.");
        }

        var roomId = await DemandAsync("chat", RoomAction.Chat);
        var message = await rooms.AddChatAsync(roomId, UserId, DisplayName, text, Context.ConnectionAborted);
        await Clients.Group(roomId).ChatReceived(message);
        return message;
    });

    public Task<HubResult<bool>> SendReaction(string emoji) => Run(async () =>
    {
        if (string.IsNullOrWhiteSpace(emoji) || emoji.Length > 16)
        {
            throw new SyncException(ErrorCodes.InvalidArgument, "A reaction is 1 to 16 characters.");
        }

        var roomId = await DemandAsync("reaction", RoomAction.Chat);
        await Clients.Group(roomId).ReactionReceived(new Reaction(UserId, DisplayName, emoji, GetServerTime()));
        return true;
    });

    public Task<HubResult<IReadOnlyList<VoicePeer>>> JoinVoice() => Run<IReadOnlyList<VoicePeer>>(async () =>
    {
        var roomId = RequireRoom();
        var joined = await presence.JoinVoiceAsync(roomId, new VoicePeer(Context.ConnectionId, UserId, DisplayName));
        if (joined < 0)
        {
            throw new SyncException(ErrorCodes.VoiceFull, $"Voice chat is full ({options.Value.VoiceCap} peers).");
        }

        var peers = joined == 1 ? await roomService.BroadcastVoiceAsync(roomId) : await presence.VoicePeersAsync(roomId);
        return peers.Where(p => p.PeerId != Context.ConnectionId).ToList();
    });

    public Task<HubResult<bool>> LeaveVoice() => Run(async () =>
    {
        var roomId = RequireRoom();
        if (!await presence.LeaveVoiceAsync(roomId, Context.ConnectionId))
        {
            throw new SyncException(ErrorCodes.NotInVoice, "You are not in voice chat.");
        }

        await roomService.BroadcastVoiceAsync(roomId);
        return true;
    });

    public Task<HubResult<bool>> VoiceHeartbeat() => Run(async () =>
    {
        var roomId = RequireRoom();
        if (!await presence.VoiceHeartbeatAsync(roomId, new VoicePeer(Context.ConnectionId, UserId, DisplayName)))
        {
            throw new SyncException(ErrorCodes.NotInVoice, "You are not in voice chat (the heartbeat may have lapsed): join again.");
        }

        return true;
    });

    /// <summary>Relays WebRTC signalling, only between voice peers of the same room.</summary>
    public Task<HubResult<bool>> SendSignal(string toPeerId, string kind, string payload) => Run(async () =>
    {
        var roomId = RequireRoom();
        if (kind is null || !SignalKinds.Contains(kind))
        {
            throw new SyncException(ErrorCodes.InvalidArgument, "kind must be offer, answer, ice or bye.");
        }

        if (payload is null || payload.Length > options.Value.MaxSignalPayload)
        {
            throw new SyncException(ErrorCodes.InvalidArgument, $"The payload must be at most {options.Value.MaxSignalPayload} characters.");
        }

        await limiter.TakeAsync(UserId, "signal");
        if (!await presence.IsVoicePeerAsync(roomId, Context.ConnectionId))
        {
            throw new SyncException(ErrorCodes.NotInVoice, "Join voice chat before signalling.");
        }

        if (string.IsNullOrEmpty(toPeerId) || toPeerId == Context.ConnectionId || !await presence.IsVoicePeerAsync(roomId, toPeerId))
        {
            throw new SyncException(ErrorCodes.UnknownPeer, "The target is not a voice peer in your room.");
        }

        await Clients.Client(toPeerId).SignalReceived(new Signal(Context.ConnectionId, UserId, kind, payload));
        return true;
    });
}
