using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Bets.Api.Auth;

/// <summary>
/// Nonces (<c>nonce:{nonce}</c>, single use: consumed with GETDEL so two requests can never both redeem one) and
/// sessions (<c>session:{wallet}</c>, 24 h). A session token is "{wallet}.{secret}"; Redis keeps only SHA-256(secret).
/// </summary>
/// <remarks>
/// Validated sessions are kept in process for <see cref="AuthOptions.SessionCacheSeconds"/> so a burst of requests does
/// not read Redis for every one. A logout or a new sign-in removes the wallet's entry here at once and, through the
/// channel <c>sessions:revoked</c>, on every other instance; while that channel is not subscribed (Redis down, failing
/// over) nothing is served from the cache, and a revocation message lost anyway is bounded by the cache lifetime.
/// </remarks>
public sealed partial class SessionStore(
    IConnectionMultiplexer redis, IOptions<AuthOptions> options, TimeProvider time, ILogger<SessionStore> logger) : BackgroundService
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    public static readonly RedisChannel RevokedChannel = RedisChannel.Literal("sessions:revoked");

    private readonly ConcurrentDictionary<string, CachedSession> _cache = new(StringComparer.Ordinal);
    private long _revocations; // bumped by every revocation: a read that raced one is not cached
    private volatile bool _revocationsLive;

    private sealed record CachedSession(byte[] Hash, long CachedAt);

    public static string NonceKey(string nonce) => $"nonce:{nonce}";
    public static string SessionKey(string wallet) => $"session:{wallet}";

    public async Task<string> IssueNonceAsync()
    {
        var nonce = RandomNumberGenerator.GetString(Alphabet, 22);
        await redis.GetDatabase().StringSetAsync(NonceKey(nonce), "1", TimeSpan.FromSeconds(options.Value.NonceTtlSeconds));
        return nonce;
    }

    /// <summary>True exactly once per issued nonce, and never after it expired.</summary>
    public async Task<bool> ConsumeNonceAsync(string nonce)
    {
        var value = await redis.GetDatabase().StringGetDeleteAsync(NonceKey(nonce));
        return value.HasValue;
    }

    public async Task<(string Token, DateTimeOffset ExpiresAt)> CreateSessionAsync(string wallet, DateTimeOffset now)
    {
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var ttl = TimeSpan.FromHours(options.Value.SessionHours);
        await redis.GetDatabase().StringSetAsync(SessionKey(wallet), Hash(secret), ttl);
        // The wallet's previous token is no longer valid anywhere.
        await RevokeEverywhereAsync(wallet);
        return ($"{wallet}.{secret}", now + ttl);
    }

    /// <summary>Returns the wallet a token belongs to, or null.</summary>
    public async Task<string?> ValidateAsync(string token)
    {
        if (!TrySplit(token, out var wallet, out var secret))
        {
            return null;
        }

        var actual = Encoding.ASCII.GetBytes(Hash(secret));
        var cacheFor = options.Value.SessionCacheSeconds;
        if (cacheFor > 0 && _revocationsLive && _cache.TryGetValue(wallet, out var cached)
            && time.GetElapsedTime(cached.CachedAt).TotalSeconds < cacheFor)
        {
            return CryptographicOperations.FixedTimeEquals(cached.Hash, actual) ? wallet : null;
        }
        var before = Interlocked.Read(ref _revocations);
        var stored = await redis.GetDatabase().StringGetAsync(SessionKey(wallet));
        if (!stored.HasValue)
        {
            return null;
        }

        var expected = Encoding.ASCII.GetBytes(stored.ToString());
        if (cacheFor > 0 && _revocationsLive && Interlocked.Read(ref _revocations) == before)
        {
            _cache[wallet] = new CachedSession(expected, time.GetTimestamp());
        }
        return CryptographicOperations.FixedTimeEquals(expected, actual) ? wallet : null;
    }

    public async Task<bool> DeleteAsync(string token)
    {
        var wallet = await ValidateAsync(token);
        if (wallet is null)
        {
            return false;
        }

        var deleted = await redis.GetDatabase().KeyDeleteAsync(SessionKey(wallet));
        await RevokeEverywhereAsync(wallet);
        return deleted;
    }

    /// <summary>Called after the key changed in Redis: drops the entry here (a read that raced the change is not cached) and tells the other instances.</summary>
    private async Task RevokeEverywhereAsync(string wallet)
    {
        Revoke(wallet);
        await redis.GetSubscriber().PublishAsync(RevokedChannel, wallet);
    }

    private void Revoke(string wallet)
    {
        Interlocked.Increment(ref _revocations);
        _cache.TryRemove(wallet, out _);
    }

    private void Distrust()
    {
        _revocationsLive = false;
        Interlocked.Increment(ref _revocations);
        _cache.Clear();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.SessionCacheSeconds <= 0)
        {
            return;
        }

        redis.ConnectionFailed += OnConnectionFailed;
        redis.ConnectionRestored += OnConnectionRestored;
        try
        {
            while (true)
            {
                try
                {
                    using var untraced = UntracedWork.Start("revocations-subscribe");
                    await redis.GetSubscriber().SubscribeAsync(RevokedChannel, (_, value) => Revoke(value.ToString()));
                    TrustAgain();
                    break;
                }
                catch (Exception e) when (e is RedisException or RedisTimeoutException)
                {
                    LogRedisUnavailable(logger, e.Message);
                    await Task.Delay(TimeSpan.FromMilliseconds(500), stoppingToken);
                }
            }
            await Task.Delay(Timeout.Infinite, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            redis.ConnectionFailed -= OnConnectionFailed;
            redis.ConnectionRestored -= OnConnectionRestored;
            Distrust();
        }
    }

    // StackExchange.Redis resubscribes as the subscription connection comes back, before it raises ConnectionRestored.
    // Revocations published while it was down are lost: start from an empty cache.
    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType == ConnectionType.Subscription)
        {
            TrustAgain();
        }
    }

    private void TrustAgain()
    {
        Distrust();
        _revocationsLive = true;
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType == ConnectionType.Subscription)
        {
            Distrust();
        }
    }

    private static bool TrySplit(string token, out string wallet, out string secret)
    {
        var dot = token.IndexOf('.', StringComparison.Ordinal);
        wallet = dot > 0 ? token[..dot] : "";
        secret = dot > 0 ? token[(dot + 1)..] : "";
        return EthereumAddress.IsChecksummed(wallet) && secret.Length >= 32;
    }

    private static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(secret)));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis unavailable for session revocations; sessions are read from Redis on every request meanwhile: {Reason}")]
    private static partial void LogRedisUnavailable(ILogger logger, string reason);
}
