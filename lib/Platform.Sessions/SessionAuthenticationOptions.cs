using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;

namespace Platform.Sessions;

/// <summary>What differs between the services that use <see cref="SessionAuthenticationHandler"/>.</summary>
public sealed class SessionAuthenticationOptions : AuthenticationSchemeOptions
{
    /// <summary>
    /// Where and how a client gets a session, in the service's own words, e.g. "sign in as a guest (POST /api/sessions)".
    /// Both 401 problems end with it; required.
    /// </summary>
    public string SignIn { get; set; } = "";

    /// <summary>
    /// Paths (and everything under them) where the token may also come as the <c>access_token</c> query parameter:
    /// browsers cannot set headers on WebSocket and server-sent-event requests, which is how SignalR hubs are reached.
    /// Empty by default, since a token in a URL ends up in logs; the <c>Authorization</c> header is read first everywhere.
    /// </summary>
    public IList<PathString> QueryTokenPaths { get; } = [];

    /// <summary>Extra members of both 401 problems (a service's machine-readable <c>code</c>, say).</summary>
    public IDictionary<string, object?> ProblemExtensions { get; } = new Dictionary<string, object?>();
}
