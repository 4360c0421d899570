using System.Security.Claims;

namespace Platform.Sessions;

/// <summary>A service's own knowledge of its session tokens: where they are kept and what a session says about its user.</summary>
public interface ISessionValidator
{
    /// <summary>
    /// The claims of the session behind <paramref name="token"/>, or null when the token is malformed, forged, expired,
    /// signed out or otherwise unknown. Null is the client's business (a 401 saying the session expired); a store that
    /// cannot be reached should throw instead, so the request fails as unavailable rather than as signed out.
    /// </summary>
    ValueTask<IEnumerable<Claim>?> ValidateAsync(string token, CancellationToken cancellationToken);
}
