namespace Bets.Api;

/// <summary>Problem type URIs (RFC 9457 "type") of the whole betting API: the HTTP layer's vocabulary.</summary>
public static class Problems
{
    private const string Base = "https://platform.local/problems/";
    public const string SelfExcluded = Base + "self-excluded";
    public const string DailyLimit = Base + "daily-limit";
    public const string ExposureCap = Base + "exposure-cap";
    public const string InsufficientBalance = Base + "insufficient-balance";
    public const string StakeOutOfBounds = Base + "stake-out-of-bounds";
    public const string CellTooSoon = Base + "cell-too-soon";
    public const string CellInPast = Base + "cell-in-past";
    public const string CellNotOnGrid = Base + "cell-not-on-grid";
    public const string CellNoValue = Base + "cell-no-value";
    public const string StalePrice = Base + "stale-price";
    public const string RateLimited = Base + "rate-limited";
    public const string IdempotencyKeyReused = Base + "idempotency-key-reused";
    public const string IdempotencyInFlight = Base + "idempotency-in-flight";
    public const string IdempotencyKeyInvalid = Base + "idempotency-key-invalid";
    public const string SignIn = Base + "sign-in-refused";
    public const string Unavailable = Base + "unavailable";
    public const string InvalidRequest = Base + "invalid-request";

    /// <summary>The last segment of a type: the short code clients switch on.</summary>
    public static string Code(string type) => type[(type.LastIndexOf('/') + 1)..];
}
