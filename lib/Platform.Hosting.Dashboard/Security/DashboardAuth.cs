using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Platform.Hosting.Dashboard.Security;

/// <summary>
/// The browser token (given once in the login URL, then held as an HttpOnly cookie) and the OTLP API key.
/// The cookie carries an HMAC of the token, not the token, and every comparison is constant-time.
/// </summary>
internal sealed class DashboardAuth(string browserToken, string? otlpApiKey)
{
    public const string CookieName = "platform_dashboard";
    public const string ApiKeyHeader = "x-otlp-api-key";

    private readonly byte[] _session = HMACSHA256.HashData(Encoding.UTF8.GetBytes(browserToken), "platform-dashboard-session"u8);

    public string BrowserToken { get; } = browserToken;

    public string? OtlpApiKey { get; } = otlpApiKey;

    public static string NewSecret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public bool IsBrowserToken(string? candidate) => candidate is not null && FixedEquals(candidate, BrowserToken);

    public string SessionCookieValue => Convert.ToBase64String(_session).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public bool IsAuthenticated(HttpContext context)
    {
        if (context.Request.Cookies.TryGetValue(CookieName, out var cookie) && FixedEquals(cookie, SessionCookieValue))
        {
            return true;
        }

        // Tests and scripts may call the API with the token itself.
        var authorization = context.Request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer ", StringComparison.Ordinal) && IsBrowserToken(authorization[7..].Trim());
    }

    public bool IsOtlpAuthorized(HttpContext context) =>
        OtlpApiKey is null || FixedEquals(context.Request.Headers[ApiKeyHeader].ToString(), OtlpApiKey);

    private static bool FixedEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));
}
