namespace Sync.Api.Rooms;

/// <summary>Ordered: a permission names the minimum role that holds it.</summary>
public enum Role
{
    Member = 0,
    Cohost = 1,
    Host = 2,
}

public enum RoomAction
{
    Control,
    Queue,
    Chat,
}

public sealed record RoomPermissions(Role Control, Role Queue, Role Chat)
{
    public static RoomPermissions Default { get; } = new(Role.Member, Role.Member, Role.Member);

    public Role For(RoomAction action) => action switch
    {
        RoomAction.Control => Control,
        RoomAction.Queue => Queue,
        _ => Chat,
    };
}

public sealed record Room(string Id, string Name, bool HasPassword, RoomPermissions Permissions, DateTimeOffset CreatedAt);

public sealed record Member(Guid UserId, string DisplayName, Role Role, bool Online, bool OptOutOfWaiting);

public sealed record QueueItem(long Id, string Url, string? Title, long? DurationMs, Guid AddedBy);

public sealed record ChatMessage(long Id, Guid UserId, string DisplayName, string Text, DateTimeOffset SentAt);

public sealed record CreateRoomRequest(string Name, string? Password);

public sealed record JoinRoomRequest(string? Password);

public sealed record SetRoleRequest(Role Role);

public sealed record AddQueueItemRequest(string Url, string? Title, long? DurationMs);
