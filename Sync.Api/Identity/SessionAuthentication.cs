using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Sync.Api.Identity;

/// <summary>Authenticates <c>Authorization: Bearer</c> or, for WebSockets, the <c>access_token</c> query parameter.</summary>
internal sealed class SessionAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, Sessions sessions)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "SyncSession";
    public const string SessionIdClaim = "sid";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? token = null;
        var header = Request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            token = header["Bearer ".Length..].Trim();
        }
        else if (Request.Path.StartsWithSegments("/hubs") && Request.Query.TryGetValue("access_token", out var q))
        {
            token = q.ToString();
        }

        if (string.IsNullOrEmpty(token))
        {
            return AuthenticateResult.NoResult();
        }

        var session = await sessions.ValidateAsync(token, Context.RequestAborted);
        if (session is null)
        {
            return AuthenticateResult.Fail("The session token is invalid or expired.");
        }

        var identity = new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, session.UserId.ToString()),
            new Claim(ClaimTypes.Name, session.DisplayName),
            new Claim(SessionIdClaim, session.SessionId.ToString()),
        ], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        // A token sent but refused is a session that ended (expired or revoked in PostgreSQL; an evicted Redis copy is
        // read again from there and ends nothing): the client starts a new guest session.
        var ended = (await HandleAuthenticateOnceAsync()).Failure is not null;
        await Results.Problem(
            statusCode: 401,
            title: ended ? "Session expired" : "A valid session token is required.",
            detail: ended ? "Your session has expired; sign in again as a guest (POST /api/sessions)." : "Send 'Authorization: Bearer <token>' with a token from POST /api/sessions.",
            extensions: new Dictionary<string, object?> { ["code"] = ErrorCodes.Unauthorized }).ExecuteAsync(Context);
    }
}

public static class ClaimsPrincipalExtensions
{
    public static Guid UserId(this ClaimsPrincipal user) =>
        Guid.Parse(user.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new SyncException(ErrorCodes.Unauthorized, "Not signed in."));

    public static string DisplayName(this ClaimsPrincipal user) => user.FindFirstValue(ClaimTypes.Name) ?? "";
}
