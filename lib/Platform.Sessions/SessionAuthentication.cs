using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Platform.Sessions;

/// <summary>The session scheme's names and its registration.</summary>
public static class SessionAuthentication
{
    /// <summary>The one authentication scheme of every service that uses this library.</summary>
    public const string Scheme = "Session";

    /// <summary>The problem type of a 401 to a request that sent no session token.</summary>
    public const string SignInRequiredType = "https://platform.local/problems/sign-in-required";

    /// <summary>The problem type of a 401 to a request whose token no longer matches a session (expired, signed out, revoked).</summary>
    public const string SessionExpiredType = "https://platform.local/problems/session-expired";

    /// <summary>The name the token is kept under in the ticket's properties (<c>HttpContext.GetTokenAsync(Scheme, AccessToken)</c>) and read from the query string.</summary>
    public const string AccessToken = "access_token";

    /// <summary>
    /// Makes <see cref="Scheme"/> the default scheme, handled by <see cref="SessionAuthenticationHandler"/> with
    /// <typeparamref name="TValidator"/> (a singleton) deciding what a token is worth. The options are validated on start.
    /// </summary>
    public static AuthenticationBuilder AddSessionAuthentication<TValidator>(
        this IServiceCollection services, Action<SessionAuthenticationOptions> configure)
        where TValidator : class, ISessionValidator
    {
        ArgumentNullException.ThrowIfNull(configure);
        services.TryAddSingleton<ISessionValidator, TValidator>();
        services.AddOptions<SessionAuthenticationOptions>(Scheme)
            .Validate(o => !string.IsNullOrWhiteSpace(o.SignIn), "SessionAuthenticationOptions.SignIn must say where to sign in.")
            .Validate(o => o.QueryTokenPaths.All(p => p.HasValue), "SessionAuthenticationOptions.QueryTokenPaths must not hold an empty path.")
            .ValidateOnStart();
        return services.AddAuthentication(Scheme).AddScheme<SessionAuthenticationOptions, SessionAuthenticationHandler>(Scheme, configure);
    }

    /// <summary>The token a request carries: <c>Authorization: Bearer</c>, or on <see cref="SessionAuthenticationOptions.QueryTokenPaths"/> the <c>access_token</c> query parameter.</summary>
    public static string? ReadToken(HttpRequest request, SessionAuthenticationOptions options)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(options);
        const string Bearer = "Bearer ";
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase))
        {
            return header[Bearer.Length..].Trim();
        }

        if (options.QueryTokenPaths.Any(p => request.Path.StartsWithSegments(p)) && request.Query.TryGetValue(AccessToken, out var query))
        {
            return query.ToString();
        }

        return null;
    }
}
