using System.Globalization;
using Microsoft.Extensions.Options;
using Platform.Redis;

namespace Sync.Api.Realtime;

/// <summary>
/// Token buckets per user and action (<c>sync:rl:{userId}:{action}</c>), refilled continuously; the bucket expires once
/// it would be full again, so idle users cost nothing. Shared by every instance, so a user cannot spread commands
/// over replicas to go faster.
/// </summary>
public sealed class RateLimiter(IConnectionMultiplexer redis, IOptions<SyncOptions> options, TimeProvider time)
{
    // KEYS: bucket. ARGV: burst, refill per second, now ms. Returns {allowed, retry after ms}.
    private static readonly RedisScript Take = new("""
        local burst = tonumber(ARGV[1])
        local rate = tonumber(ARGV[2])
        local now = tonumber(ARGV[3])
        local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
        local tokens = tonumber(b[1]) or burst
        local ts = tonumber(b[2]) or now
        tokens = math.min(burst, tokens + math.max(0, now - ts) * rate / 1000)
        local allowed, retry = 0, 0
        if tokens >= 1 then
          tokens = tokens - 1
          allowed = 1
        else
          retry = math.ceil((1 - tokens) * 1000 / rate)
        end
        redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', ARGV[3])
        redis.call('PEXPIRE', KEYS[1], math.max(1000, math.ceil(burst * 1000 / rate)))
        return {allowed, retry}
        """);

    /// <summary>Takes one token or throws <c>rate_limited</c> with the time until the next one.</summary>
    public async Task TakeAsync(Guid userId, string action)
    {
        if (!options.Value.RateLimits.TryGetValue(action, out var limit))
        {
            return;
        }

        var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(Take, [$"sync:rl:{userId:N}:{action}"],
            [limit.Burst.ToString(CultureInfo.InvariantCulture), limit.PerSecond.ToString(CultureInfo.InvariantCulture),
             time.GetUtcNow().ToUnixTimeMilliseconds()]))!;
        if ((long)result[0] != 1)
        {
            var retry = (long)result[1];
            throw new SyncException(ErrorCodes.RateLimited, $"Too many '{action}' requests; retry in {retry} ms.", retryAfterMs: retry);
        }
    }
}
