using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Platform.Redis.Failover;

/// <summary>
/// Moves a Sentinel-managed StackExchange.Redis connection to the new master as soon as the old one answers READONLY.
/// StackExchange.Redis follows a failover on Sentinel's +switch-master message or when its connection to the master
/// fails; after a graceful failover (SENTINEL FAILOVER, a node restarted as replica) neither may reach it in time, and
/// the old master, now a replica, refuses every write until something asks the Sentinels again. This does.
/// </summary>
public sealed partial class FollowPromotedMaster(IConnectionMultiplexer redis, ILogger<FollowPromotedMaster> logger) : IHostedService
{
    private int _reconfiguring;

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        redis.ErrorMessage += OnErrorMessage;
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken)
    {
        redis.ErrorMessage -= OnErrorMessage;
        return Task.CompletedTask;
    }

    private void OnErrorMessage(object? sender, RedisErrorEventArgs e)
    {
        if (!e.Message.StartsWith("READONLY", StringComparison.Ordinal) || Interlocked.Exchange(ref _reconfiguring, 1) == 1)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                LogReadOnly(logger, e.EndPoint?.ToString());
                await redis.ConfigureAsync().ConfigureAwait(false);
            }
            catch (RedisException ex)
            {
                LogReconfigureFailed(logger, ex);
            }
            finally
            {
                Volatile.Write(ref _reconfiguring, 0);
            }
        });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis at {EndPoint} answered READONLY: it is a replica now; asking for the current master")]
    private static partial void LogReadOnly(ILogger logger, string? endPoint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reconfiguring the Redis connection after READONLY failed; the next READONLY tries again")]
    private static partial void LogReconfigureFailed(ILogger logger, Exception exception);
}

/// <summary>Registration.</summary>
public static class FollowPromotedMasterExtensions
{
    /// <summary>Adds <see cref="FollowPromotedMaster"/> for the service's <see cref="IConnectionMultiplexer"/>.</summary>
    public static IServiceCollection AddRedisFailoverFollowing(this IServiceCollection services) =>
        services.AddHostedService<FollowPromotedMaster>();
}
