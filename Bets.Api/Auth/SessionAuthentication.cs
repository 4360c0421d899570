using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Bets.Api.Auth;

/// <summary>Bearer session tokens issued by POST /auth/verify, checked against <c>session:{wallet}</c> in Redis.</summary>
public sealed class SessionAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, SessionStore sessions)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Session";

    /// <summary>The problem type of a 401 for a token whose session is gone.</summary>
    public const string SessionExpiredProblem = "https://platform.local/problems/session-expired";

    public static string? ReadToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
    }

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var token = ReadToken(Request);
        if (string.IsNullOrEmpty(token))
        {
            return AuthenticateResult.NoResult();
        }

        var wallet = await sessions.ValidateAsync(token);
        if (wallet is null)
        {
            return AuthenticateResult.Fail("The session token is unknown, expired or signed out.");
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, wallet)], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = 401;
        Response.Headers.WWWAuthenticate = "Bearer";
        // A token that no longer matches a session: it expired, was signed out, or Redis evicted session:{wallet}
        // under memory pressure. The client cannot tell these apart and need not: it signs in again.
        var expired = (await HandleAuthenticateOnceAsync()).Failure is not null;
        var problem = expired
            ? Results.Problem(statusCode: 401, type: SessionExpiredProblem, title: "Session expired",
                detail: "Your session has expired or was signed out; sign in again.")
            : Results.Problem(statusCode: 401, title: "Sign-in required",
                detail: "Send 'Authorization: Bearer <token>' with a session token from POST /auth/verify.");
        await problem.ExecuteAsync(Context);
    }
}

public static class WalletClaims
{
    public static string Wallet(this ClaimsPrincipal user) =>
        user.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new InvalidOperationException("no wallet on an authenticated request");
}
