using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using Platform.RateLimiting;
using StackExchange.Redis;

namespace Sync.Api.Rooms;

/// <summary>
/// Every room password check, over HTTP and the hub: limited per client address and per room in Redis (token buckets
/// of <c>lib/Platform.RateLimiting</c>, so both replicas count together), then hashed behind a bounded gate.
/// </summary>
public sealed class RoomPasswords : IDisposable
{
    private readonly IConnectionMultiplexer _redis;
    private readonly IOptions<SyncOptions> _options;
    private readonly TimeProvider _time;

    public RoomPasswords(IConnectionMultiplexer redis, IOptions<SyncOptions> options, TimeProvider time)
    {
        _redis = redis;
        _options = options;
        _time = time;
        // A request that finds every hashing thread busy and the queue full is refused: an unbounded queue would only
        // turn a flood of guesses into ever slower joins for everyone.
        Gate = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = options.Value.PasswordHashConcurrency,
            QueueLimit = options.Value.PasswordHashQueue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
    }

    /// <summary>Visible to tests, which hold it to show what a full gate answers.</summary>
    internal ConcurrencyLimiter Gate { get; }

    public static string AddressKey(string address) => $"sync:rl:addr:{address}:password";

    public static string RoomKey(string roomId) => $"sync:rl:room:{roomId}:password";

    public Task<string> HashAsync(string password, CancellationToken ct) => HashingAsync(() => Passwords.Hash(password), ct);

    /// <summary>Throws <c>wrong_password</c>, <c>rate_limited</c> (with the wait) or <c>unavailable</c> (gate full).</summary>
    public async Task CheckAsync(string roomId, string client, string? password, string hash, CancellationToken ct)
    {
        if (password is null)
        {
            throw WrongPassword();
        }

        var o = _options.Value;
        // The address first: a refused guesser does not also drain the room's budget for everyone else.
        await TakeAsync(AddressKey(client), o.PasswordAttemptsPerAddress, "from your address");
        await TakeAsync(RoomKey(roomId), o.PasswordAttemptsPerRoom, "for this room");
        if (!await HashingAsync(() => Passwords.Verify(password, hash), ct))
        {
            throw WrongPassword();
        }
    }

    public void Dispose() => Gate.Dispose();

    private async Task TakeAsync(string key, RateLimit limit, string scope)
    {
        using var limiter = new RedisTokenBucketRateLimiter(_redis, key, limit.Burst, limit.PerSecond, _time);
        using var lease = await limiter.AcquireAsync();
        if (!lease.IsAcquired)
        {
            var wait = lease.TryGetMetadata(MetadataName.RetryAfter, out var retry) ? retry : TimeSpan.FromSeconds(1);
            var ms = (long)Math.Ceiling(wait.TotalMilliseconds);
            throw new SyncException(ErrorCodes.RateLimited,
                $"Too many password attempts {scope}; retry in {Math.Ceiling(wait.TotalSeconds):0} s.", retryAfterMs: ms);
        }
    }

    private async Task<T> HashingAsync<T>(Func<T> work, CancellationToken ct)
    {
        using var permit = await Gate.AcquireAsync(1, ct);
        if (!permit.IsAcquired)
        {
            throw new SyncException(ErrorCodes.Unavailable, "The server is checking too many passwords at once; try again in a moment.",
                retryAfterMs: 1000);
        }

        // On this thread: the gate, not a hop to another pool thread, is what bounds the CPU taken from other work.
        return work();
    }

    private static SyncException WrongPassword() => new(ErrorCodes.WrongPassword, "The room password is missing or wrong.");
}
