using System.Globalization;
using StackExchange.Redis;

namespace Sync.Api.Rooms;

/// <summary>
/// Who may do what in a room, answered from a Redis cache (<c>sync:room:{id}:acl</c>) of PostgreSQL's rooms and
/// members rows, so a playback command costs one round trip. Every change in PostgreSQL drops the cache.
/// </summary>
public sealed class RoomAccess(IConnectionMultiplexer redis, RoomStore rooms)
{
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(5);

    public static string Key(string roomId) => $"sync:room:{roomId}:acl";

    /// <summary>The member's role, after checking the room's permission for the action.</summary>
    public async Task<Role> DemandAsync(string roomId, Guid userId, RoomAction action, CancellationToken ct = default)
    {
        var (role, permissions) = await GetAsync(roomId, userId, ct);
        if (role is not { } r)
        {
            throw new SyncException(ErrorCodes.Forbidden, "You are not a member of this room.");
        }

        if (r < permissions.For(action))
        {
            throw new SyncException(ErrorCodes.Forbidden,
                $"The room allows {action.ToString().ToLowerInvariant()} to {permissions.For(action).ToString().ToLowerInvariant()}s and above.");
        }

        return r;
    }

    public async Task<(Role? Role, RoomPermissions Permissions)> GetAsync(string roomId, Guid userId, CancellationToken ct = default)
    {
        var db = redis.GetDatabase();
        var cached = await db.HashGetAsync(Key(roomId), ["perms", $"role:{userId:N}"]);
        if (!cached[0].IsNull)
        {
            return (cached[1].IsNull ? null : (Role)(long)cached[1], ParsePermissions(cached[0].ToString()));
        }

        var room = await rooms.GetAsync(roomId, ct) ?? throw new SyncException(ErrorCodes.UnknownRoom, $"Room '{roomId}' does not exist.");
        var members = await rooms.MembersAsync(roomId, ct);
        var p = room.Room.Permissions;
        var entries = new List<HashEntry> { new("perms", $"{(int)p.Control},{(int)p.Queue},{(int)p.Chat}") };
        entries.AddRange(members.Select(m => new HashEntry($"role:{m.UserId:N}", (int)m.Role)));
        await db.HashSetAsync(Key(roomId), [.. entries]);
        await db.KeyExpireAsync(Key(roomId), Ttl);
        var member = members.FirstOrDefault(m => m.UserId == userId);
        return (member.UserId == Guid.Empty ? null : member.Role, p);
    }

    public Task InvalidateAsync(string roomId) => redis.GetDatabase().KeyDeleteAsync(Key(roomId));

    private static RoomPermissions ParsePermissions(string value)
    {
        var parts = value.Split(',');
        return new RoomPermissions(
            (Role)int.Parse(parts[0], CultureInfo.InvariantCulture),
            (Role)int.Parse(parts[1], CultureInfo.InvariantCulture),
            (Role)int.Parse(parts[2], CultureInfo.InvariantCulture));
    }
}
