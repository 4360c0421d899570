namespace Platform.Redis;

/// <summary>Pub/sub over the multiplexer's subscriber connection. Handlers of one channel run in publish order, one
/// at a time, never on the socket reader loop. Subscriptions survive reconnects and failovers.</summary>
public interface ISubscriber
{
    IConnectionMultiplexer Multiplexer { get; }

    Task SubscribeAsync(RedisChannel channel, Action<RedisChannel, RedisValue> handler, CommandFlags flags = CommandFlags.None);

    /// <summary>An in-order queue of the channel's messages.</summary>
    Task<ChannelMessageQueue> SubscribeAsync(RedisChannel channel, CommandFlags flags = CommandFlags.None);

    /// <summary>Removes one handler, or every handler and queue of the channel when <paramref name="handler"/> is null.</summary>
    Task UnsubscribeAsync(RedisChannel channel, Action<RedisChannel, RedisValue>? handler = null, CommandFlags flags = CommandFlags.None);

    Task UnsubscribeAllAsync(CommandFlags flags = CommandFlags.None);

    Task<long> PublishAsync(RedisChannel channel, RedisValue message, CommandFlags flags = CommandFlags.None);
}
