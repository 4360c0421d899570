using System.Diagnostics;
using System.Threading.RateLimiting;
using StackExchange.Redis;

namespace Platform.RateLimiting;

/// <summary>
/// A <see cref="RateLimiter"/> whose state is one Redis key, updated by one Lua script per attempt, so every instance
/// of a service counts against the same limit. Made for ASP.NET Core's rate limiter (one limiter per partition, e.g.
/// per wallet) and for SignalR hub methods, which acquire through the same limiters.
/// </summary>
/// <remarks>
/// The synchronous <see cref="RateLimiter.AttemptAcquire(int)"/> cannot ask Redis: it refuses without counting, and
/// callers (the ASP.NET Core middleware does) fall back to <see cref="RateLimiter.AcquireAsync(int, CancellationToken)"/>.
/// An acquisition never queues: the lease is granted or refused with <see cref="MetadataName.RetryAfter"/>.
/// Redis errors propagate to the caller, which maps them like any other outage (503).
/// </remarks>
public abstract class RedisRateLimiter(IConnectionMultiplexer redis, RedisKey key, TimeProvider time) : RateLimiter
{
    private long _lastUsed = time.GetTimestamp();

    protected IConnectionMultiplexer Redis { get; } = redis;

    protected RedisKey Key { get; } = key;

    protected TimeProvider Time { get; } = time;

    /// <summary>The partitioned limiter drops this object when idle; its state lives on in Redis.</summary>
    public override TimeSpan? IdleDuration => Time.GetElapsedTime(Interlocked.Read(ref _lastUsed));

    public override RateLimiterStatistics? GetStatistics() => null;

    protected override RateLimitLease AttemptAcquireCore(int permitCount) => Lease.Deferred;

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(permitCount, 1);
        Interlocked.Exchange(ref _lastUsed, Time.GetTimestamp());
        cancellationToken.ThrowIfCancellationRequested();
        var retryAfter = await TakeAsync().ConfigureAwait(false);
        return retryAfter is { } wait ? new Lease(false, wait) : Lease.Granted;
    }

    /// <summary>Counts one attempt in Redis; null when allowed, else how long until an attempt would be.</summary>
    protected abstract Task<TimeSpan?> TakeAsync();

    private sealed class Lease(bool acquired, TimeSpan? retryAfter) : RateLimitLease
    {
        public static readonly Lease Granted = new(true, null);
        public static readonly Lease Deferred = new(false, null);

        public override bool IsAcquired => acquired;

        public override IEnumerable<string> MetadataNames => retryAfter is null ? [] : [MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = retryAfter;
            return retryAfter is not null && metadataName == MetadataName.RetryAfter.Name;
        }
    }
}

/// <summary>
/// A fixed window: the key is a counter that expires one window after the first attempt in it (INCR, then PEXPIRE
/// when the key has no TTL yet). Refused attempts count too, so hammering does not shorten the wait.
/// </summary>
public sealed class RedisFixedWindowRateLimiter(IConnectionMultiplexer redis, RedisKey key, int permitLimit, TimeSpan window, TimeProvider time)
    : RedisRateLimiter(redis, key, time)
{
    // KEYS: counter. ARGV: limit, window ms. Returns {allowed, ms until the window ends}.
    private const string Script = """
        local n = redis.call('INCR', KEYS[1])
        local ttl = redis.call('PTTL', KEYS[1])
        if ttl < 0 then
          redis.call('PEXPIRE', KEYS[1], ARGV[2])
          ttl = tonumber(ARGV[2])
        end
        if n > tonumber(ARGV[1]) then return {0, ttl} end
        return {1, ttl}
        """;

    protected override async Task<TimeSpan?> TakeAsync()
    {
        var result = (RedisResult[])(await Redis.GetDatabase().ScriptEvaluateAsync(Script, [Key],
            [permitLimit, (long)window.TotalMilliseconds]).ConfigureAwait(false))!;
        return (long)result[0] == 1 ? null : TimeSpan.FromMilliseconds(Math.Max(1, (long)result[1]));
    }
}

/// <summary>
/// A token bucket in a hash (<c>tokens</c>, <c>ts</c>), refilled continuously at <c>perSecond</c> up to <c>burst</c>.
/// The key expires once the bucket would be full again, so idle users cost nothing.
/// </summary>
public sealed class RedisTokenBucketRateLimiter(IConnectionMultiplexer redis, RedisKey key, double burst, double perSecond, TimeProvider time)
    : RedisRateLimiter(redis, key, time)
{
    // KEYS: bucket. ARGV: burst, refill per second, now ms. Returns {allowed, retry after ms}.
    private const string Script = """
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
        """;

    protected override async Task<TimeSpan?> TakeAsync()
    {
        Debug.Assert(perSecond > 0 && burst >= 1);
        var result = (RedisResult[])(await Redis.GetDatabase().ScriptEvaluateAsync(Script, [Key],
            [burst, perSecond, Time.GetUtcNow().ToUnixTimeMilliseconds()]).ConfigureAwait(false))!;
        return (long)result[0] == 1 ? null : TimeSpan.FromMilliseconds(Math.Max(1, (long)result[1]));
    }
}
