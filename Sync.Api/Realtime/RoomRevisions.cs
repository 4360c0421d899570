using StackExchange.Redis;

namespace Sync.Api.Realtime;

/// <summary>
/// Orders a room's state broadcasts (members, room, queue, voice). Two replicas can broadcast the same list moments
/// apart, and each delivers to its own connections directly while the other's copy crosses the backplane, so a client
/// can receive an older list after a newer one. Every broadcast therefore takes a fresh revision before it reads the
/// state it sends, and clients apply a list only when its revision is higher than the last one they applied: the
/// highest revision was taken after the last change, so it always carries the final state.
/// </summary>
/// <remarks>
/// The revision is a hybrid clock on the Redis master: max(last + 1, master time in µs). It keeps rising after the key
/// expires or a failover loses the last increments, so a client that stays connected never sees it go backwards.
/// </remarks>
public sealed class RoomRevisions(IConnectionMultiplexer redis)
{
    private static readonly TimeSpan Ttl = TimeSpan.FromHours(24);

    // KEYS: counter. ARGV: ttl ms.
    private const string Next = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local last = tonumber(redis.call('GET', KEYS[1]) or '0')
        local rev = math.max(last + 1, now)
        redis.call('SET', KEYS[1], string.format('%.0f', rev), 'PX', ARGV[1])
        return string.format('%.0f', rev)
        """;

    public static string Key(string roomId) => $"sync:room:{roomId}:rev";

    /// <summary>Takes the next revision; call it before reading the state you broadcast with it.</summary>
    public async Task<long> NextAsync(string roomId) =>
        long.Parse((await redis.GetDatabase().ScriptEvaluateAsync(Next, [Key(roomId)], [(long)Ttl.TotalMilliseconds])).ToString(),
            System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The current revision, read before a snapshot: broadcasts at or below it carry nothing newer.</summary>
    public async Task<long> CurrentAsync(string roomId)
    {
        var value = await redis.GetDatabase().StringGetAsync(Key(roomId));
        return value.HasValue ? long.Parse(value.ToString(), System.Globalization.CultureInfo.InvariantCulture) : 0;
    }
}
