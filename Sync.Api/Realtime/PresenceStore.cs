using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Sync.Api.Realtime;

/// <summary>One connection in a room (a user may have several).</summary>
public sealed record PresenceEntry(Guid UserId, string DisplayName, int? RttMs, bool OptOut);

public sealed record VoicePeer(string PeerId, Guid UserId, string DisplayName);

/// <summary>A connection whose heartbeat expired, found by a sweep.</summary>
public sealed record Expired(string RoomId, string ConnectionId, string Json);

/// <summary>
/// Room presence and voice presence in Redis. Each is a per-room hash (connection id → entry) plus one global sorted
/// set of expiry times that every instance sweeps, so a connection whose server died still disappears on time.
/// </summary>
public sealed class PresenceStore(IConnectionMultiplexer redis, IOptions<SyncOptions> options, TimeProvider time)
{
    public const string PresenceIndex = "sync:presence";
    public const string VoiceIndex = "sync:voice";
    private static readonly TimeSpan RoomHashTtl = TimeSpan.FromHours(24);

    // KEYS: hash, index. ARGV: connection, json, expiry ms, index member, hash ttl ms, cap (0 = none), only-if-present.
    private const string Upsert = """
        local exists = redis.call('HEXISTS', KEYS[1], ARGV[1])
        if ARGV[7] == '1' and exists == 0 then return -2 end
        if exists == 0 and tonumber(ARGV[6]) > 0 and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[6]) then return -1 end
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
        redis.call('PEXPIRE', KEYS[1], ARGV[5])
        redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
        return 1 - exists
        """;

    // KEYS: hash, index. ARGV: connection, index member.
    private const string Remove = """
        local entry = redis.call('HGET', KEYS[1], ARGV[1])
        redis.call('HDEL', KEYS[1], ARGV[1])
        redis.call('ZREM', KEYS[2], ARGV[2])
        return entry
        """;

    // KEYS: index. ARGV: now ms, batch, hash suffix. Members are "{room}|{connection}"; the hashes they name are
    // derived here, which is fine on a single master (the only topology Sentinel gives).
    private const string Sweep = """
        local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
        local out = {}
        for _, m in ipairs(due) do
          redis.call('ZREM', KEYS[1], m)
          local sep = string.find(m, '|', 1, true)
          local hash = 'sync:room:' .. string.sub(m, 1, sep - 1) .. ARGV[3]
          local conn = string.sub(m, sep + 1)
          local entry = redis.call('HGET', hash, conn)
          if entry then
            redis.call('HDEL', hash, conn)
            table.insert(out, m)
            table.insert(out, entry)
          end
        end
        return out
        """;

    public static string PresenceKey(string roomId) => $"sync:room:{roomId}:presence";

    public static string VoiceKey(string roomId) => $"sync:room:{roomId}:voice";

    private long ExpiryMs(TimeSpan after) => (time.GetUtcNow() + after).ToUnixTimeMilliseconds();

    /// <summary>Adds or refreshes a connection; true when it is new to the room.</summary>
    public async Task<bool> UpsertAsync(string roomId, string connectionId, PresenceEntry entry) =>
        (long)await redis.GetDatabase().ScriptEvaluateAsync(Upsert, [PresenceKey(roomId), PresenceIndex],
            [connectionId, SyncJson.Serialize(entry), ExpiryMs(options.Value.PresenceExpiry), $"{roomId}|{connectionId}",
             (long)RoomHashTtl.TotalMilliseconds, 0, "0"]) == 1;

    public async Task<PresenceEntry?> RemoveAsync(string roomId, string connectionId)
    {
        var result = await redis.GetDatabase().ScriptEvaluateAsync(Remove, [PresenceKey(roomId), PresenceIndex], [connectionId, $"{roomId}|{connectionId}"]);
        return result.IsNull ? null : SyncJson.Deserialize<PresenceEntry>(result.ToString());
    }

    public async Task<Dictionary<string, PresenceEntry>> ListAsync(string roomId)
    {
        var entries = await redis.GetDatabase().HashGetAllAsync(PresenceKey(roomId));
        return entries.ToDictionary(e => e.Name.ToString(), e => SyncJson.Deserialize<PresenceEntry>(e.Value.ToString()), StringComparer.Ordinal);
    }

    public Task<List<Expired>> SweepPresenceAsync() => SweepAsync(PresenceIndex, ":presence");

    public Task<List<Expired>> SweepVoiceAsync() => SweepAsync(VoiceIndex, ":voice");

    private async Task<List<Expired>> SweepAsync(string index, string suffix)
    {
        var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(Sweep, [index],
            [time.GetUtcNow().ToUnixTimeMilliseconds(), 200, suffix]))!;
        var expired = new List<Expired>(result.Length / 2);
        for (var i = 0; i + 1 < result.Length; i += 2)
        {
            var member = result[i].ToString();
            var sep = member.IndexOf('|', StringComparison.Ordinal);
            expired.Add(new Expired(member[..sep], member[(sep + 1)..], result[i + 1].ToString()));
        }

        return expired;
    }

    /// <summary>1 joined, 0 already in, -1 the voice cap is reached.</summary>
    public async Task<long> JoinVoiceAsync(string roomId, VoicePeer peer) =>
        (long)await redis.GetDatabase().ScriptEvaluateAsync(Upsert, [VoiceKey(roomId), VoiceIndex],
            [peer.PeerId, SyncJson.Serialize(peer), ExpiryMs(options.Value.VoiceHeartbeatExpiry), $"{roomId}|{peer.PeerId}",
             (long)options.Value.VoiceRecordTtl.TotalMilliseconds, options.Value.VoiceCap, "0"]);

    /// <summary>Refreshes the voice heartbeat; false when the peer is not (or no longer) in voice.</summary>
    public async Task<bool> VoiceHeartbeatAsync(string roomId, VoicePeer peer) =>
        (long)await redis.GetDatabase().ScriptEvaluateAsync(Upsert, [VoiceKey(roomId), VoiceIndex],
            [peer.PeerId, SyncJson.Serialize(peer), ExpiryMs(options.Value.VoiceHeartbeatExpiry), $"{roomId}|{peer.PeerId}",
             (long)options.Value.VoiceRecordTtl.TotalMilliseconds, 0, "1"]) != -2;

    public async Task<bool> LeaveVoiceAsync(string roomId, string peerId) =>
        !(await redis.GetDatabase().ScriptEvaluateAsync(Remove, [VoiceKey(roomId), VoiceIndex], [peerId, $"{roomId}|{peerId}"])).IsNull;

    public async Task<List<VoicePeer>> VoicePeersAsync(string roomId)
    {
        var entries = await redis.GetDatabase().HashGetAllAsync(VoiceKey(roomId));
        return entries.Select(e => SyncJson.Deserialize<VoicePeer>(e.Value.ToString())).OrderBy(p => p.PeerId, StringComparer.Ordinal).ToList();
    }

    public async Task<bool> IsVoicePeerAsync(string roomId, string peerId) =>
        await redis.GetDatabase().HashExistsAsync(VoiceKey(roomId), peerId);
}
