using System.ComponentModel.DataAnnotations;

namespace Web.Frontend.Proxy;

/// <summary>The backends the browser reaches through this host (same origin: no CORS, cookies and WebSockets just work).</summary>
public sealed class ApiProxyOptions
{
    public const string SectionName = "ApiProxy";

    [MinLength(1)]
    public List<ProxyRoute> Routes { get; init; } = [];
}

/// <summary>
/// Requests under <see cref="Prefix"/> go to <see cref="Target"/>, a logical service address such as <c>http://sync-api</c>,
/// optionally with a base path (<c>http://sync-api/api</c>) that the forwarded path is appended to.
/// </summary>
public sealed class ProxyRoute
{
    public string Prefix { get; init; } = "";

    public Uri? Target { get; init; }

    /// <summary>True: <c>/api/bets/grid</c> becomes <c>/grid</c> upstream. False: the path is forwarded as it is.</summary>
    public bool StripPrefix { get; init; }
}
