using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Platform.RateLimiting;
using StackExchange.Redis;

namespace Sync.Api.Identity;

/// <summary>
/// Minting guest sessions, limited per client address (<see cref="SyncOptions.SessionsPerAddress"/>) with a token
/// bucket in <c>sync:rl:addr:{address}:session</c>: sessions are free and anonymous, so without this a script could
/// mint one per request and step around every limit kept per user. Refusals are the shared 429 of the rate limiter.
/// </summary>
public static class SessionRateLimits
{
    public const string Policy = "session";

    public static string Key(string address) => $"sync:rl:addr:{address}:session";

    public static IServiceCollection AddSessionRateLimiter(this IServiceCollection services)
    {
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<SyncOptions>>((o, sync) => o.AddPolicy(Policy, context =>
        {
            var limit = sync.Value.SessionsPerAddress;
            return RateLimitPartition.Get(ClientAddress.Of(context), address => new RedisTokenBucketRateLimiter(
                context.RequestServices.GetRequiredService<IConnectionMultiplexer>(), Key(address), limit.Burst, limit.PerSecond,
                context.RequestServices.GetRequiredService<TimeProvider>()));
        }));
        return services;
    }
}
