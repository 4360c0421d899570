using System.Globalization;
using System.Threading.RateLimiting;
using Bets.Api.Auth;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Platform.RateLimiting;
using StackExchange.Redis;

namespace Bets.Api.Bets;

/// <summary>
/// Bet placement is limited per wallet to <see cref="BettingOptions.RateLimitPerMinute"/> in a fixed one-minute window
/// kept in <c>rate_limit:{wallet}</c> (the design's key table), through ASP.NET Core's rate limiter, so every instance
/// counts against the same limit. A refusal is 429 with <c>Retry-After</c> and problem details.
/// </summary>
/// <remarks>
/// The limiter runs before the endpoint: a replay of a stored response and a request with a bad Idempotency-Key count
/// as attempts too. RedisRateLimiting.AspNetCore was judged and not used: its fixed window keeps two keys named
/// <c>rl:fw:{…}</c> and <c>…:exp</c>, which breaks the key contract, and it reads the wall clock directly.
/// </remarks>
public static class BetRateLimits
{
    public const string Policy = "bets";
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    public static string Key(string wallet) => $"rate_limit:{wallet}";

    public static IServiceCollection AddBetRateLimiter(this IServiceCollection services) => services.AddRateLimiter(o =>
    {
        o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
        o.AddPolicy(Policy, context =>
        {
            var wallet = context.User.Wallet();
            var perMinute = context.RequestServices.GetRequiredService<IOptions<BettingOptions>>().Value.RateLimitPerMinute;
            return RateLimitPartition.Get(wallet, w => new RedisFixedWindowRateLimiter(
                context.RequestServices.GetRequiredService<IConnectionMultiplexer>(), Key(w), perMinute, Window,
                context.RequestServices.GetRequiredService<TimeProvider>()));
        });
        o.OnRejected = RejectAsync;
    });

    private static async ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken ct)
    {
        var context = rejected.HttpContext;
        var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : Window;
        var seconds = (int)Math.Ceiling(retryAfter.TotalSeconds);
        var perMinute = context.RequestServices.GetRequiredService<IOptions<BettingOptions>>().Value.RateLimitPerMinute;
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await BetsApi.Problem(StatusCodes.Status429TooManyRequests, Problems.RateLimited, "Too many bets",
            $"At most {perMinute} bets per minute per wallet; retry in {seconds} s.").ExecuteAsync(context);
    }
}
