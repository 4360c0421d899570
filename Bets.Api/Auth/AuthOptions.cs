using System.ComponentModel.DataAnnotations;

namespace Bets.Api.Auth;

/// <summary>Sign-In with Ethereum settings (section "Auth").</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>The RFC 3986 authority the message must name (the site the user signs in to), e.g. "localhost:5173".</summary>
    [Required] public string Domain { get; set; } = "";
    /// <summary>The site the user signs in on (the AppHost sets web's URL), e.g. "http://localhost:5173": the message's
    /// URI must have the same origin (scheme, host, port).</summary>
    [Required, Url] public string Uri { get; set; } = "";
    [Range(1, long.MaxValue)] public long ChainId { get; set; } = 1;
    [Range(10, 3600)] public int NonceTtlSeconds { get; set; } = 300;
    [Range(1, 720)] public int SessionHours { get; set; } = 24;
    /// <summary>Tolerance for clocks when checking Issued At (not in the future), Expiration Time and Not Before.</summary>
    [Range(0, 600)] public int ClockSkewSeconds { get; set; } = 60;
    /// <summary>How long a validated session is trusted in process without reading Redis (0 = always read).</summary>
    [Range(0, 60)] public int SessionCacheSeconds { get; set; } = 2;
}
