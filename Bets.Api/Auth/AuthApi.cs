using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Platform.Redis.Failover;
using Platform.Sessions;

namespace Bets.Api.Auth;

public sealed record NonceResponse(string Nonce, DateTimeOffset ExpiresAt);
public sealed record VerifyRequest(string Message, string Signature);
public sealed record SessionResponse(string Token, string Wallet, DateTimeOffset ExpiresAt);

public static class AuthApi
{
    public static WebApplication MapAuthApi(this WebApplication app)
    {
        var group = app.MapGroup("/auth").WithTags("Auth").RequireRedis();
        group.MapGet("/nonce", IssueNonce).WithSummary("A single-use nonce to put in the EIP-4361 message.");
        group.MapPost("/verify", Verify).WithSummary("Verifies a signed EIP-4361 message and starts a 24 h session.");
        group.MapPost("/logout", Logout).RequireAuthorization().WithSummary("Ends the session.");
        return app;
    }

    private static async Task<Ok<NonceResponse>> IssueNonce(SessionStore sessions, IOptions<AuthOptions> options, TimeProvider time)
    {
        var nonce = await sessions.IssueNonceAsync();
        return TypedResults.Ok(new NonceResponse(nonce, time.GetUtcNow().AddSeconds(options.Value.NonceTtlSeconds)));
    }

    private static async Task<Results<Ok<SessionResponse>, ProblemHttpResult>> Verify(
        VerifyRequest request, SessionStore sessions, SiweVerifier verifier, IOptions<AuthOptions> options, TimeProvider time)
    {
        if (string.IsNullOrEmpty(request.Message) || string.IsNullOrEmpty(request.Signature))
        {
            return Refused(400, SiweFailure.MalformedMessage, "Both 'message' and 'signature' are required.");
        }
        if (!SiweParser.TryParse(request.Message, out var message, out var parseError))
        {
            return Refused(400, SiweFailure.MalformedMessage, $"The message is not a valid EIP-4361 message: {parseError}.");
        }
        var o = options.Value;
        var skew = TimeSpan.FromSeconds(o.ClockSkewSeconds);
        var expect = new SiweExpectations(o.Domain, o.Uri, o.ChainId, null, skew, IssuedAtLead: skew);
        // Everything that needs no state first, so a message that can never succeed does not burn its nonce.
        var precheck = verifier.Verify(message!, request.Message, request.Signature, expect);
        if (!precheck.Success)
        {
            return Refused(StatusOf(precheck.Failure), precheck.Failure, precheck.Detail);
        }

        if (!await sessions.ConsumeNonceAsync(message!.Nonce))
        {
            return Refused(401, SiweFailure.NonceMismatch, "The nonce is unknown, expired or already used; request a new one from GET /auth/nonce.");
        }
        var (token, expires) = await sessions.CreateSessionAsync(message.Address, time.GetUtcNow());
        return TypedResults.Ok(new SessionResponse(token, message.Address, expires));
    }

    private static async Task<NoContent> Logout(HttpContext context, SessionStore sessions)
    {
        await sessions.DeleteAsync((await context.GetTokenAsync(SessionAuthentication.Scheme, SessionAuthentication.AccessToken))!);
        return TypedResults.NoContent();
    }

    private static int StatusOf(SiweFailure failure) => failure switch
    {
        SiweFailure.MalformedMessage or SiweFailure.MalformedSignature or SiweFailure.InvalidTimestamp => 400,
        SiweFailure.ContractWalletUnsupported => 422,
        _ => 401,
    };

    private static ProblemHttpResult Refused(int status, SiweFailure failure, string detail) =>
        TypedResults.Problem(statusCode: status, title: Title(failure), detail: detail, type: $"{Problems.SignIn}#{failure}",
            extensions: new Dictionary<string, object?> { ["failure"] = failure.ToString() });

    private static string Title(SiweFailure failure) => failure switch
    {
        SiweFailure.MalformedMessage => "Malformed sign-in message",
        SiweFailure.MalformedSignature => "Malformed signature",
        SiweFailure.HighSSignature => "Non-canonical (high-s) signature",
        SiweFailure.SignatureMismatch => "Signature does not match the address",
        SiweFailure.ContractWalletUnsupported => "Contract wallets are unsupported",
        SiweFailure.DomainMismatch => "Wrong domain",
        SiweFailure.UriMismatch => "Message for another site",
        SiweFailure.ChainMismatch => "Wrong chain",
        SiweFailure.NonceMismatch => "Invalid nonce",
        SiweFailure.Expired => "Message expired",
        SiweFailure.NotYetValid => "Message not yet valid",
        SiweFailure.IssuedInFuture => "Message issued in the future",
        _ => "Sign-in refused",
    };
}
