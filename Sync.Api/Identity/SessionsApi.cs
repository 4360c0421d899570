using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Redis.Failover;

namespace Sync.Api.Identity;

public static class SessionsApi
{
    public static IEndpointRouteBuilder MapSessionsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/sessions").WithTags("Sessions").RequireRedis().AddEndpointFilter<SyncProblemFilter>();
        api.MapPost("/", CreateAsync).AllowAnonymous().RequireRateLimiting(SessionRateLimits.Policy);
        api.MapGet("/me", (HttpContext http) => TypedResults.Ok(new { userId = http.User.UserId(), displayName = http.User.DisplayName() }))
            .RequireAuthorization();
        return app;
    }

    private static async Task<Created<SessionResponse>> CreateAsync(CreateSessionRequest request, Sessions sessions, CancellationToken ct)
    {
        var session = await sessions.CreateAsync(request.DisplayName, ct);
        return TypedResults.Created("/api/sessions/me", session);
    }
}
