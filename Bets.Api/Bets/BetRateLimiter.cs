using Platform.Redis;

namespace Bets.Api.Bets;

/// <summary>Fixed one-minute window per wallet in <c>rate_limit:{wallet}</c>, counted and expired atomically in Lua.</summary>
public sealed class BetRateLimiter(IConnectionMultiplexer redis)
{
    private static readonly RedisScript Script = new("""
        local n = redis.call('INCR', KEYS[1])
        local ttl = redis.call('PTTL', KEYS[1])
        if ttl < 0 then
          redis.call('PEXPIRE', KEYS[1], ARGV[2])
          ttl = tonumber(ARGV[2])
        end
        if n > tonumber(ARGV[1]) then return {0, ttl} end
        return {1, ttl}
        """);

    public static string Key(string wallet) => $"rate_limit:{wallet}";

    /// <summary>Counts one attempt; returns null when allowed, else how long until the window resets.</summary>
    public async Task<TimeSpan?> TryAcquireAsync(string wallet, int perMinute)
    {
        var result = await redis.GetDatabase().ScriptEvaluateAsync(Script, [Key(wallet)], [perMinute, 60_000]).ConfigureAwait(false);
        var parts = (RedisResult[])result!;
        return (long)parts[0] == 1 ? null : TimeSpan.FromMilliseconds(Math.Max(1, (long)parts[1]));
    }
}
