using System.Reflection;
using System.Runtime.ExceptionServices;
using StackExchange.Redis;

namespace Platform.Redis.Failover;

/// <summary>
/// A view of a multiplexer whose subscribers publish through the master that takes the service's writes, not through
/// the node their subscription happens to be on. For a pub/sub user such as the SignalR Redis backplane that shares a
/// Sentinel-managed multiplexer.
/// </summary>
/// <remarks>
/// StackExchange.Redis sends a PUBLISH for a channel this process subscribes to over that subscription's connection,
/// and keeps a subscription on its node for as long as the connection lives, even once the node is a replica or a
/// former master Sentinel has not yet demoted (after a failover in which connections did not break: a master frozen
/// and thawed, SENTINEL FAILOVER). Redis delivers a PUBLISH to the subscribers of the node it is sent to and, from a
/// master, to those of its replicas; sent to a replica or to a stale master, it reaches no one subscribed elsewhere.
/// So two processes whose subscriptions ended on different nodes could each keep receiving from one side only, with
/// no connection event to say so. Published as an ordinary command, a message goes where the writes go, the master
/// the multiplexer chose, and from there to every node that replicates it: subscribers on the master and on its
/// replicas all receive it, wherever their subscriptions are.
/// </remarks>
public static class PublishThroughMaster
{
    /// <summary>
    /// <paramref name="redis"/> with one difference: <see cref="IConnectionMultiplexer.GetSubscriber"/> returns a
    /// subscriber whose <c>Publish</c> and <c>PublishAsync</c> send PUBLISH as an ordinary command (to the master, with
    /// the multiplexer's channel prefix). Everything else, subscriptions included, is <paramref name="redis"/> itself.
    /// </summary>
    public static IConnectionMultiplexer Wrap(IConnectionMultiplexer redis)
    {
        ArgumentNullException.ThrowIfNull(redis);
        var proxy = DispatchProxy.Create<IConnectionMultiplexer, MultiplexerProxy>();
        ((MultiplexerProxy)(object)proxy).Inner = redis;
        return proxy;
    }

    private static object? Forward(object target, MethodInfo method, object?[]? args)
    {
        try
        {
            return method.Invoke(target, args);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            ExceptionDispatchInfo.Throw(ex.InnerException);
            throw;
        }
    }

    // Forwards everything to the multiplexer but GetSubscriber. DispatchProxy derives from it: not sealed.
    private class MultiplexerProxy : DispatchProxy
    {
        internal IConnectionMultiplexer Inner { get; set; } = null!;

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            ArgumentNullException.ThrowIfNull(targetMethod);
            var result = Forward(Inner, targetMethod, args);
            if (targetMethod.Name == nameof(IConnectionMultiplexer.GetSubscriber) && result is ISubscriber subscriber)
            {
                var proxy = DispatchProxy.Create<ISubscriber, SubscriberProxy>();
                ((SubscriberProxy)(object)proxy).Init(subscriber, Inner);
                return proxy;
            }

            return result;
        }
    }

    // Forwards everything to the subscriber but Publish and PublishAsync. DispatchProxy derives from it: not sealed.
    private class SubscriberProxy : DispatchProxy
    {
        private ISubscriber _inner = null!;
        private IConnectionMultiplexer _redis = null!;

        internal void Init(ISubscriber inner, IConnectionMultiplexer redis)
        {
            _inner = inner;
            _redis = redis;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            ArgumentNullException.ThrowIfNull(targetMethod);
            if (args is [RedisChannel channel, RedisValue message, CommandFlags flags])
            {
                if (targetMethod.Name == nameof(ISubscriber.PublishAsync))
                {
                    return PublishAsync(channel, message, flags);
                }

                if (targetMethod.Name == nameof(ISubscriber.Publish))
                {
                    return (long)_redis.GetDatabase().Execute("PUBLISH", [channel, message], flags);
                }
            }

            return Forward(_inner, targetMethod, args);
        }

        // The channel goes as a RedisChannel, so that the multiplexer's channel prefix is written as for any publish.
        private async Task<long> PublishAsync(RedisChannel channel, RedisValue message, CommandFlags flags) =>
            (long)await _redis.GetDatabase().ExecuteAsync("PUBLISH", [channel, message], flags).ConfigureAwait(false);
    }
}
