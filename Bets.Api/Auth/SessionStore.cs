using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Platform.Redis;

namespace Bets.Api.Auth;

/// <summary>
/// Nonces (<c>nonce:{nonce}</c>, single use: consumed with GETDEL so two requests can never both redeem one) and
/// sessions (<c>session:{wallet}</c>, 24 h). A session token is "{wallet}.{secret}"; Redis keeps only SHA-256(secret).
/// </summary>
public sealed class SessionStore(IConnectionMultiplexer redis, IOptions<AuthOptions> options)
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    public static string NonceKey(string nonce) => $"nonce:{nonce}";
    public static string SessionKey(string wallet) => $"session:{wallet}";

    public async Task<string> IssueNonceAsync()
    {
        var nonce = RandomNumberGenerator.GetString(Alphabet, 22);
        await redis.GetDatabase().StringSetAsync(NonceKey(nonce), "1", TimeSpan.FromSeconds(options.Value.NonceTtlSeconds)).ConfigureAwait(false);
        return nonce;
    }

    /// <summary>True exactly once per issued nonce, and never after it expired.</summary>
    public async Task<bool> ConsumeNonceAsync(string nonce)
    {
        var value = await redis.GetDatabase().StringGetDeleteAsync(NonceKey(nonce)).ConfigureAwait(false);
        return value.HasValue;
    }

    public async Task<(string Token, DateTimeOffset ExpiresAt)> CreateSessionAsync(string wallet, DateTimeOffset now)
    {
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var ttl = TimeSpan.FromHours(options.Value.SessionHours);
        await redis.GetDatabase().StringSetAsync(SessionKey(wallet), Hash(secret), ttl).ConfigureAwait(false);
        return ($"{wallet}.{secret}", now + ttl);
    }

    /// <summary>Returns the wallet a token belongs to, or null.</summary>
    public async Task<string?> ValidateAsync(string token)
    {
        if (!TrySplit(token, out var wallet, out var secret)) return null;
        var stored = await redis.GetDatabase().StringGetAsync(SessionKey(wallet)).ConfigureAwait(false);
        if (!stored.HasValue) return null;
        var expected = Encoding.ASCII.GetBytes(stored.ToString());
        var actual = Encoding.ASCII.GetBytes(Hash(secret));
        return CryptographicOperations.FixedTimeEquals(expected, actual) ? wallet : null;
    }

    public async Task<bool> DeleteAsync(string token)
    {
        var wallet = await ValidateAsync(token).ConfigureAwait(false);
        return wallet is not null && await redis.GetDatabase().KeyDeleteAsync(SessionKey(wallet)).ConfigureAwait(false);
    }

    private static bool TrySplit(string token, out string wallet, out string secret)
    {
        var dot = token.IndexOf('.', StringComparison.Ordinal);
        wallet = dot > 0 ? token[..dot] : "";
        secret = dot > 0 ? token[(dot + 1)..] : "";
        return EthereumAddress.IsChecksummed(wallet) && secret.Length >= 32;
    }

    private static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(secret)));
}
