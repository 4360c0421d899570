using System.Security.Claims;
using Platform.Sessions;

namespace Bets.Api.Auth;

/// <summary>Bearer session tokens issued by POST /auth/verify, checked against <c>session:{wallet}</c> in Redis.</summary>
/// <remarks>
/// A token that matches no session expired, was signed out, or Redis evicted <c>session:{wallet}</c> under memory
/// pressure: Platform.Sessions answers all of them with the same "session expired" 401.
/// </remarks>
public sealed class WalletSessionValidator(SessionStore sessions) : ISessionValidator
{
    public async ValueTask<IEnumerable<Claim>?> ValidateAsync(string token, CancellationToken cancellationToken)
    {
        var wallet = await sessions.ValidateAsync(token);
        return wallet is null ? null : [new Claim(ClaimTypes.NameIdentifier, wallet)];
    }
}

public static class WalletClaims
{
    public static string Wallet(this ClaimsPrincipal user) =>
        user.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new InvalidOperationException("no wallet on an authenticated request");
}
