using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Platform.RateLimiting;
using StackExchange.Redis;
using Sync.Api.Identity;

namespace Sync.Api.Realtime;

/// <summary>
/// Token buckets per user and action (<c>sync:rl:{userId}:{action}</c>, <see cref="SyncOptions.RateLimits"/>) in Redis,
/// shared by every instance, so a user cannot spread commands over replicas to go faster. Hub methods acquire them
/// here; HTTP endpoints through ASP.NET Core's rate limiter (<c>RequireRateLimiting(action)</c>) with the same limiters.
/// </summary>
public sealed class RoomRateLimits : IAsyncDisposable
{
    private readonly PartitionedRateLimiter<(Guid User, string Action)> _limiter;
    private readonly IOptions<SyncOptions> _options;

    public RoomRateLimits(IConnectionMultiplexer redis, IOptions<SyncOptions> options, TimeProvider time)
    {
        _options = options;
        _limiter = PartitionedRateLimiter.Create<(Guid User, string Action), (Guid, string)>(key =>
            Partition(key.User, key.Action, redis, options.Value, time));
    }

    public static string Key(Guid userId, string action) => $"sync:rl:{userId:N}:{action}";

    /// <summary>Takes one token or throws <c>rate_limited</c> with the time until the next one.</summary>
    public async Task TakeAsync(Guid userId, string action)
    {
        if (!_options.Value.RateLimits.ContainsKey(action))
        {
            return;
        }

        using var lease = await _limiter.AcquireAsync((userId, action));
        if (!lease.IsAcquired)
        {
            var retry = (long)Math.Ceiling(RetryAfter(lease).TotalMilliseconds);
            throw new SyncException(ErrorCodes.RateLimited, $"Too many '{action}' requests; retry in {retry} ms.", retryAfterMs: retry);
        }
    }

    public ValueTask DisposeAsync() => _limiter.DisposeAsync();

    private static RateLimitPartition<(Guid, string)> Partition(Guid user, string action, IConnectionMultiplexer redis, SyncOptions options, TimeProvider time) =>
        options.RateLimits.TryGetValue(action, out var limit)
            ? RateLimitPartition.Get((user, action), _ => new RedisTokenBucketRateLimiter(redis, Key(user, action), limit.Burst, limit.PerSecond, time))
            : RateLimitPartition.GetNoLimiter((user, action));

    private static TimeSpan RetryAfter(RateLimitLease lease) =>
        lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
}

public static class RoomRateLimiterExtensions
{
    /// <summary>One ASP.NET Core policy per configured action, partitioned by user; a refusal is 429 with
    /// <c>Retry-After</c> and problem details carrying <c>code</c> = <c>rate_limited</c>.</summary>
    public static IServiceCollection AddRoomRateLimiter(this IServiceCollection services)
    {
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<SyncOptions>>((o, sync) =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            foreach (var (action, limit) in sync.Value.RateLimits)
            {
                o.AddPolicy(action, context =>
                {
                    var user = context.User.UserId();
                    return RateLimitPartition.Get((user, action), key => new RedisTokenBucketRateLimiter(
                        context.RequestServices.GetRequiredService<IConnectionMultiplexer>(), RoomRateLimits.Key(key.user, key.action),
                        limit.Burst, limit.PerSecond, context.RequestServices.GetRequiredService<TimeProvider>()));
                });
            }

            o.OnRejected = RejectAsync;
        });
        return services.AddRateLimiter(_ => { });
    }

    private static async ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken ct)
    {
        var wait = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retry) ? retry : TimeSpan.FromSeconds(1);
        var ms = (long)Math.Ceiling(wait.TotalMilliseconds);
        rejected.HttpContext.Response.Headers.RetryAfter = Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        await TypedResults.Problem($"Too many requests; retry in {ms} ms.", statusCode: StatusCodes.Status429TooManyRequests,
            title: ErrorCodes.RateLimited, extensions: new Dictionary<string, object?> { ["code"] = ErrorCodes.RateLimited, ["retryAfterMs"] = ms })
            .ExecuteAsync(rejected.HttpContext);
    }
}
