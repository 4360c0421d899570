using System.Security.Cryptography;
using Dapper;
using Npgsql;

namespace Sync.Api.Rooms;

/// <summary>Rooms, members, queue and chat in PostgreSQL: the durable side of SyncWatch.</summary>
public sealed class RoomStore(NpgsqlDataSource db, RoomPasswords passwords, TimeProvider time)
{
    private const string Alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

    public async Task<Room> CreateAsync(Guid userId, string name, string? password, CancellationToken ct)
    {
        var id = RandomNumberGenerator.GetString(Alphabet, 10);
        var hash = password is null ? null : await passwords.HashAsync(password, ct);
        var now = time.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO rooms (id, name, created_by, created_at, password_hash) VALUES (@id, @name, @userId, @now, @hash);
            INSERT INTO members (room_id, user_id, role, joined_at) VALUES (@id, @userId, @role, @now);
            """,
            new { id, name, userId, now, hash, role = (short)Role.Host },
            cancellationToken: ct));
        return new Room(id, name, password is not null, RoomPermissions.Default, now);
    }

    public async Task<(Room Room, string? PasswordHash)?> GetAsync(string roomId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<RoomRow>(new CommandDefinition(
            "SELECT id, name, created_at, password_hash, perm_control, perm_queue, perm_chat FROM rooms WHERE id = @roomId",
            new { roomId }, cancellationToken: ct));
        return row is null ? null : (row.ToRoom(), row.password_hash);
    }

    /// <summary>Adds the user as a member (checking the password, limited per client address) unless already one.</summary>
    public async Task<(Role Role, bool IsNew)> JoinAsync(string roomId, Guid userId, string client, string? password, CancellationToken ct)
    {
        var room = await GetAsync(roomId, ct) ?? throw new SyncException(ErrorCodes.UnknownRoom, $"Room '{roomId}' does not exist.");
        await using var connection = await db.OpenConnectionAsync(ct);
        var role = await connection.ExecuteScalarAsync<short?>(new CommandDefinition(
            "SELECT role FROM members WHERE room_id = @roomId AND user_id = @userId", new { roomId, userId }, cancellationToken: ct));
        if (role is { } existing)
        {
            return ((Role)existing, false);
        }

        if (room.PasswordHash is { } hash)
        {
            await passwords.CheckAsync(roomId, client, password, hash, ct);
        }

        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO members (room_id, user_id, role, joined_at) VALUES (@roomId, @userId, 0, @now) ON CONFLICT DO NOTHING",
            new { roomId, userId, now = time.GetUtcNow() }, cancellationToken: ct));
        return (Role.Member, true);
    }

    public async Task LeaveAsync(string roomId, Guid userId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM members WHERE room_id = @roomId AND user_id = @userId", new { roomId, userId }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<(Guid UserId, string DisplayName, Role Role)>> MembersAsync(string roomId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(Guid, string, short)>(new CommandDefinition(
            """
            SELECT m.user_id, u.display_name, m.role FROM members m JOIN users u ON u.id = m.user_id
            WHERE m.room_id = @roomId ORDER BY m.joined_at
            """, new { roomId }, cancellationToken: ct));
        return rows.Select(r => (r.Item1, r.Item2, (Role)r.Item3)).ToList();
    }

    public async Task<bool> SetRoleAsync(string roomId, Guid userId, Role role, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE members SET role = @role WHERE room_id = @roomId AND user_id = @userId",
            new { roomId, userId, role = (short)role }, cancellationToken: ct)) == 1;
    }

    public async Task SetPermissionsAsync(string roomId, RoomPermissions p, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE rooms SET perm_control = @c, perm_queue = @q, perm_chat = @ch WHERE id = @roomId",
            new { roomId, c = (short)p.Control, q = (short)p.Queue, ch = (short)p.Chat }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<QueueItem>> QueueAsync(string roomId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<QueueItem>(new CommandDefinition(
            "SELECT id, url, title, duration_ms AS DurationMs, added_by AS AddedBy FROM queue_items WHERE room_id = @roomId ORDER BY ord, id",
            new { roomId }, cancellationToken: ct));
        return rows.ToList();
    }

    public async Task<QueueItem> EnqueueAsync(string roomId, Guid userId, string url, string? title, long? durationMs, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            """
            INSERT INTO queue_items (room_id, ord, url, title, duration_ms, added_by, added_at)
            SELECT @roomId, coalesce(max(ord), 0) + 1, @url, @title, @durationMs, @userId, @now FROM queue_items WHERE room_id = @roomId
            RETURNING id
            """, new { roomId, url, title, durationMs, userId, now = time.GetUtcNow() }, cancellationToken: ct));
        return new QueueItem(id, url, title, durationMs, userId);
    }

    public async Task<bool> DequeueAsync(string roomId, long itemId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM queue_items WHERE room_id = @roomId AND id = @itemId", new { roomId, itemId }, cancellationToken: ct)) == 1;
    }

    /// <summary>Moves an item to a 0-based index by giving it an order value between its new neighbours.</summary>
    public async Task<bool> MoveAsync(string roomId, long itemId, int toIndex, CancellationToken ct)
    {
        var items = await QueueAsync(roomId, ct);
        if (items.All(i => i.Id != itemId))
        {
            return false;
        }

        var others = items.Where(i => i.Id != itemId).Select(i => i.Id).ToList();
        others.Insert(Math.Clamp(toIndex, 0, others.Count), itemId);
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE queue_items q SET ord = v.ord FROM unnest(@ids::bigint[]) WITH ORDINALITY AS v(id, ord) WHERE q.id = v.id AND q.room_id = @roomId",
            new { ids = others.ToArray(), roomId }, cancellationToken: ct));
        return true;
    }

    public async Task<QueueItem?> PopAsync(string roomId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<QueueItem>(new CommandDefinition(
            """
            DELETE FROM queue_items WHERE id = (SELECT id FROM queue_items WHERE room_id = @roomId ORDER BY ord, id LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING id, url, title, duration_ms AS DurationMs, added_by AS AddedBy
            """, new { roomId }, cancellationToken: ct));
    }

    public async Task<ChatMessage> AddChatAsync(string roomId, Guid userId, string displayName, string text, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "INSERT INTO chat_messages (room_id, user_id, display_name, text, sent_at) VALUES (@roomId, @userId, @displayName, @text, @now) RETURNING id",
            new { roomId, userId, displayName, text, now }, cancellationToken: ct));
        return new ChatMessage(id, userId, displayName, text, now);
    }

    /// <summary>Newest first, before the given id.</summary>
    public async Task<IReadOnlyList<ChatMessage>> ChatAsync(string roomId, long? before, int limit, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<ChatRow>(new CommandDefinition(
            """
            SELECT id, user_id, display_name, text, sent_at FROM chat_messages
            WHERE room_id = @roomId AND id < @before ORDER BY id DESC LIMIT @limit
            """, new { roomId, before = before ?? long.MaxValue, limit }, cancellationToken: ct));
        return rows.Select(r => new ChatMessage(r.id, r.user_id, r.display_name, r.text, new DateTimeOffset(r.sent_at, TimeSpan.Zero))).ToList();
    }

    public async Task SaveTimelineAsync(string roomId, long seq, string json, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE rooms SET timeline = @json::jsonb, timeline_seq = @seq WHERE id = @roomId AND timeline_seq < @seq",
            new { roomId, seq, json }, cancellationToken: ct));
    }

    public async Task<string?> LoadTimelineAsync(string roomId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "SELECT timeline::text FROM rooms WHERE id = @roomId", new { roomId }, cancellationToken: ct));
    }

#pragma warning disable IDE1006, CA1812 // Dapper row shapes mirror the column names.
    private sealed record RoomRow(string id, string name, DateTime created_at, string? password_hash, short perm_control, short perm_queue, short perm_chat)
    {
        public Room ToRoom() => new(id, name, password_hash is not null,
            new RoomPermissions((Role)perm_control, (Role)perm_queue, (Role)perm_chat), new DateTimeOffset(created_at, TimeSpan.Zero));
    }

    private sealed record ChatRow(long id, Guid user_id, string display_name, string text, DateTime sent_at);
#pragma warning restore IDE1006, CA1812
}
