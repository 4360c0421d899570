using System.Globalization;
using Platform.Redis.Failover;

namespace Sync.Api;

/// <summary>Turns a refused request into problem details carrying the machine-readable <c>code</c>.</summary>
internal sealed class SyncProblemFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (SyncException ex)
        {
            var extensions = new Dictionary<string, object?> { ["code"] = ex.Code };
            if (ex.RetryAfterMs is { } retry)
            {
                extensions["retryAfterMs"] = retry;
                context.HttpContext.Response.Headers.RetryAfter = Math.Max(1, (retry + 999) / 1000).ToString(CultureInfo.InvariantCulture);
            }

            return TypedResults.Problem(ex.Message, statusCode: StatusOf(ex.Code), title: ex.Code, extensions: extensions);
        }
        catch (Exception ex) when (InfrastructureFailure.Is(ex) && !RedisOutage.IsOutage(ex))
        {
            // PostgreSQL unreachable or failing over: retry shortly, as the hub's "unavailable" says. A Redis outage goes on
            // to RedisOutage's exception handler, which answers the same and opens the breaker for the requests after it.
            context.HttpContext.Response.Headers.RetryAfter = "1";
            return TypedResults.Problem("A backing store is unavailable; try again shortly.", statusCode: StatusCodes.Status503ServiceUnavailable,
                title: ErrorCodes.Unavailable, extensions: new Dictionary<string, object?> { ["code"] = ErrorCodes.Unavailable });
        }
    }

    // The one place a refusal's code becomes an HTTP status; the hub sends the code itself.
    private static int StatusOf(string code) => code switch
    {
        ErrorCodes.Unauthorized => StatusCodes.Status401Unauthorized,
        ErrorCodes.UnknownRoom => StatusCodes.Status404NotFound,
        ErrorCodes.WrongPassword or ErrorCodes.Forbidden => StatusCodes.Status403Forbidden,
        ErrorCodes.RateLimited => StatusCodes.Status429TooManyRequests,
        ErrorCodes.Stale => StatusCodes.Status409Conflict,
        ErrorCodes.Unavailable => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status400BadRequest,
    };
}
