using System.Security.Claims;
using Platform.Sessions;

namespace Sync.Api.Identity;

/// <summary>Guest session tokens issued by POST /api/sessions, checked by <see cref="Sessions"/>.</summary>
/// <remarks>
/// A token refused here is a session that ended (expired or revoked in PostgreSQL; an evicted Redis copy is read again
/// from there and ends nothing): Platform.Sessions answers it with the "session expired" 401, and the client starts a
/// new guest session.
/// </remarks>
internal sealed class GuestSessionValidator(Sessions sessions) : ISessionValidator
{
    public const string SessionIdClaim = "sid";

    public async ValueTask<IEnumerable<Claim>?> ValidateAsync(string token, CancellationToken cancellationToken)
    {
        var session = await sessions.ValidateAsync(token, cancellationToken);
        return session is null
            ? null
            :
            [
                new Claim(ClaimTypes.NameIdentifier, session.UserId.ToString()),
                new Claim(ClaimTypes.Name, session.DisplayName),
                new Claim(SessionIdClaim, session.SessionId.ToString()),
            ];
    }
}

public static class ClaimsPrincipalExtensions
{
    public static Guid UserId(this ClaimsPrincipal user) =>
        Guid.Parse(user.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new SyncException(ErrorCodes.Unauthorized, "Not signed in."));

    public static string DisplayName(this ClaimsPrincipal user) => user.FindFirstValue(ClaimTypes.Name) ?? "";
}
