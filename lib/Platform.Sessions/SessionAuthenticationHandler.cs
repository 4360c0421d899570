using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Platform.Sessions;

/// <summary>
/// Bearer session tokens, checked by the service's <see cref="ISessionValidator"/>. A request without a token is
/// anonymous (endpoints that need a session challenge it); a token the validator refuses fails authentication. Either
/// way the challenge is one shape: 401, <c>WWW-Authenticate: Bearer</c> and a problem detail whose <c>type</c> tells
/// <see cref="SessionAuthentication.SignInRequiredType"/> from <see cref="SessionAuthentication.SessionExpiredType"/>.
/// </summary>
public sealed class SessionAuthenticationHandler(
    IOptionsMonitor<SessionAuthenticationOptions> options, ILoggerFactory logger, UrlEncoder encoder, ISessionValidator validator)
    : AuthenticationHandler<SessionAuthenticationOptions>(options, logger, encoder)
{
    /// <inheritdoc />
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var token = SessionAuthentication.ReadToken(Request, Options);
        if (string.IsNullOrEmpty(token))
        {
            return AuthenticateResult.NoResult();
        }

        var claims = await validator.ValidateAsync(token, Context.RequestAborted).ConfigureAwait(false);
        if (claims is null)
        {
            return AuthenticateResult.Fail("The session token is unknown, expired or signed out.");
        }

        var properties = new AuthenticationProperties();
        // Signing out needs the token itself, not just who it belongs to.
        properties.StoreTokens([new AuthenticationToken { Name = SessionAuthentication.AccessToken, Value = token }]);
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme.Name));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, properties, Scheme.Name));
    }

    /// <inheritdoc />
    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        // A token that no longer matches a session expired, was signed out, or its stored copy is gone: the client cannot
        // tell these apart and need not, it signs in again. The sign-in page words that differently from a first visit.
        var expired = (await HandleAuthenticateOnceAsync().ConfigureAwait(false)).Failure is not null;
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        // RFC 6750 3.1: no error code when the request carried no credentials, invalid_token when it carried a bad one.
        Response.Headers.WWWAuthenticate = expired ? "Bearer error=\"invalid_token\"" : "Bearer";
        var problem = new ProblemDetails
        {
            Status = StatusCodes.Status401Unauthorized,
            Type = expired ? SessionAuthentication.SessionExpiredType : SessionAuthentication.SignInRequiredType,
            Title = expired ? "Session expired" : "Sign-in required",
            Detail = expired
                ? $"Your session has expired or was signed out: {Options.SignIn} to get a new one."
                : $"This needs a session: {Options.SignIn}, then send its token as {HowToSend()}.",
        };
        foreach (var (key, value) in Options.ProblemExtensions)
        {
            problem.Extensions[key] = value;
        }

        await TypedResults.Problem(problem).ExecuteAsync(Context).ConfigureAwait(false);
    }

    private string HowToSend() => Options.QueryTokenPaths.Any(p => Request.Path.StartsWithSegments(p))
        ? $"'Authorization: Bearer <token>' or the '{SessionAuthentication.AccessToken}' query parameter"
        : "'Authorization: Bearer <token>'";
}
