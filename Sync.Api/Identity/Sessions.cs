using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;

namespace Sync.Api.Identity;

public sealed record SessionInfo(Guid SessionId, Guid UserId, string DisplayName, DateTimeOffset ExpiresAt);

public sealed record CreateSessionRequest(string DisplayName);

public sealed record SessionResponse(string Token, Guid UserId, string DisplayName, DateTimeOffset ExpiresAt);

/// <summary>
/// Guest sessions. PostgreSQL is the source of truth; Redis (<c>sync:session:{id}</c>) caches valid sessions so that
/// hub connections and HTTP calls do not hit the database. The token is <c>v1.{sessionId|userId|expiry}.{HMAC}</c>, so a
/// forged or expired token is refused before any lookup.
/// </summary>
public sealed class Sessions(
    NpgsqlDataSource db, IConnectionMultiplexer redis, IOptions<SyncOptions> options, TimeProvider time) : IDisposable
{
    public const int MaxDisplayName = 40;
    private const int PayloadLength = 16 + 16 + 8;
    private readonly SemaphoreSlim _keyLock = new(1, 1);
    private byte[]? _key;

    public async Task<SessionResponse> CreateAsync(string displayName, CancellationToken ct)
    {
        var name = displayName?.Trim() ?? "";
        if (name.Length is 0 or > MaxDisplayName)
        {
            throw new SyncException(ErrorCodes.InvalidArgument, $"displayName must be 1 to {MaxDisplayName} characters.");
        }

        var now = time.GetUtcNow();
        var session = new SessionInfo(Guid.NewGuid(), Guid.NewGuid(), name, now + options.Value.SessionLifetime);
        await using (var connection = await db.OpenConnectionAsync(ct))
        {
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO users (id, display_name, created_at) VALUES (@UserId, @DisplayName, @Now);
                INSERT INTO sessions (id, user_id, created_at, expires_at) VALUES (@SessionId, @UserId, @Now, @ExpiresAt);
                """,
                new { session.UserId, session.DisplayName, session.SessionId, session.ExpiresAt, Now = now }, cancellationToken: ct));
        }

        await CacheAsync(session);
        return new SessionResponse(await IssueAsync(session, ct), session.UserId, session.DisplayName, session.ExpiresAt);
    }

    /// <summary>The session behind a token, or null when the token is forged, expired or revoked.</summary>
    public async Task<SessionInfo?> ValidateAsync(string token, CancellationToken ct)
    {
        var parts = token.Split('.');
        if (parts.Length != 3 || parts[0] != "v1")
        {
            return null;
        }

        byte[] payload, signature;
        try
        {
            payload = Base64Url.DecodeFromChars(parts[1]);
            signature = Base64Url.DecodeFromChars(parts[2]);
        }
        catch (FormatException)
        {
            return null;
        }

        if (payload.Length != PayloadLength ||
            !CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(await KeyAsync(ct), payload), signature))
        {
            return null;
        }

        var sessionId = new Guid(payload.AsSpan(0, 16));
        var expires = DateTimeOffset.FromUnixTimeSeconds(BinaryPrimitives.ReadInt64BigEndian(payload.AsSpan(32)));
        if (expires <= time.GetUtcNow())
        {
            return null;
        }

        var cached = await redis.GetDatabase().StringGetAsync(CacheKey(sessionId));
        if (cached.HasValue)
        {
            return JsonSerializer.Deserialize<SessionInfo>((string)cached!);
        }

        await using var connection = await db.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<(Guid UserId, string DisplayName, DateTime ExpiresAt)>(
            new CommandDefinition(
                """
                SELECT s.user_id, u.display_name, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id
                WHERE s.id = @sessionId AND NOT s.revoked AND s.expires_at > @now
                """, new { sessionId, now = time.GetUtcNow() }, cancellationToken: ct));
        if (row.UserId == Guid.Empty)
        {
            return null;
        }

        var session = new SessionInfo(sessionId, row.UserId, row.DisplayName, new DateTimeOffset(row.ExpiresAt, TimeSpan.Zero));
        await CacheAsync(session);
        return session;
    }

    private async Task CacheAsync(SessionInfo session)
    {
        var ttl = session.ExpiresAt - time.GetUtcNow();
        if (ttl > options.Value.SessionCacheTtl)
        {
            ttl = options.Value.SessionCacheTtl;
        }

        if (ttl > TimeSpan.Zero)
        {
            await redis.GetDatabase().StringSetAsync(CacheKey(session.SessionId), JsonSerializer.Serialize(session), ttl);
        }
    }

    public void Dispose() => _keyLock.Dispose();

    internal static string CacheKey(Guid sessionId) => $"sync:session:{sessionId:N}";

    private async Task<string> IssueAsync(SessionInfo session, CancellationToken ct)
    {
        var payload = new byte[PayloadLength];
        session.SessionId.TryWriteBytes(payload.AsSpan(0, 16));
        session.UserId.TryWriteBytes(payload.AsSpan(16, 16));
        BinaryPrimitives.WriteInt64BigEndian(payload.AsSpan(32), session.ExpiresAt.ToUnixTimeSeconds());
        var signature = HMACSHA256.HashData(await KeyAsync(ct), payload);
        return $"v1.{Base64Url.EncodeToString(payload)}.{Base64Url.EncodeToString(signature)}";
    }

    private async Task<byte[]> KeyAsync(CancellationToken ct)
    {
        if (_key is { } key)
        {
            return key;
        }

        await _keyLock.WaitAsync(ct);
        try
        {
            if (_key is not null)
            {
                return _key;
            }

            if (!string.IsNullOrEmpty(options.Value.SigningKey))
            {
                return _key = Convert.FromBase64String(options.Value.SigningKey);
            }

            // First replica to ask generates the key; the others read the same row.
            await using var connection = await db.OpenConnectionAsync(ct);
            var value = await connection.ExecuteScalarAsync<string>(new CommandDefinition(
                """
                INSERT INTO sync_settings (key, value) VALUES ('signing_key', @candidate) ON CONFLICT (key) DO NOTHING;
                SELECT value FROM sync_settings WHERE key = 'signing_key';
                """, new { candidate = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) }, cancellationToken: ct));
            return _key = Convert.FromBase64String(value!);
        }
        finally
        {
            _keyLock.Release();
        }
    }
}
