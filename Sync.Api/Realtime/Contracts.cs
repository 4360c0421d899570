using Sync.Api.Playback;
using Sync.Api.Rooms;

namespace Sync.Api.Realtime;

/// <summary>What the server calls on clients (see README: "Client methods"). The state lists carry a room revision:
/// apply one only when its revision is higher than the last applied (see <see cref="RoomRevisions"/>).</summary>
public interface ISyncClient
{
    Task TimelineChanged(Timeline timeline);

    Task MembersChanged(IReadOnlyList<Member> members, long revision);

    Task RoomChanged(Room room, long revision);

    Task QueueChanged(IReadOnlyList<QueueItem> queue, long revision);

    Task ChatReceived(ChatMessage message);

    Task ReactionReceived(Reaction reaction);

    Task VoiceChanged(IReadOnlyList<VoicePeer> peers, long revision);

    Task SignalReceived(Signal signal);

    Task ResyncRequested();
}

public sealed record Reaction(Guid UserId, string DisplayName, string Emoji, long AtServerMs);

public sealed record Signal(string FromPeerId, Guid FromUserId, string Kind, string Payload);

public sealed record Snapshot(
    Room Room,
    Member You,
    IReadOnlyList<Member> Members,
    IReadOnlyList<QueueItem> Queue,
    Timeline Timeline,
    IReadOnlyList<VoicePeer> Voice,
    IReadOnlyList<ChatMessage> RecentChat,
    long ServerTimeMs,
    long Revision);

public sealed record HubError(string Code, string Message, long? RetryAfterMs);

/// <summary>Every hub method answers with this union, so a refused command never costs the connection.</summary>
public sealed record HubResult<T>(bool Ok, T? Value, HubError? Error)
{
    public static HubResult<T> Success(T value) => new(true, value, null);

    public static HubResult<T> Fail(SyncException ex) =>
        new(false, ex.Value is T value ? value : default, new HubError(ex.Code, ex.Message, ex.RetryAfterMs));
}
