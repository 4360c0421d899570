using Platform.Redis;

namespace Platform.SignalR.Redis;

/// <summary>
/// Channel names of one hub type: <c>{prefix}:{hub}:all</c>, <c>…:conn:{connectionId}</c>, <c>…:group:{group}</c>,
/// <c>…:user:{userId}</c> and <c>…:server:{serverId}</c> (acknowledgements and client results addressed to one server).
/// </summary>
internal sealed class ChannelNames(string prefix, string hubName)
{
    private readonly string _base = $"{prefix}:{hubName}:";

    public RedisChannel All => RedisChannel.Literal(_base + "all");

    public RedisChannel Server(Guid serverId) => RedisChannel.Literal(_base + "server:" + serverId.ToString("N"));

    public RedisChannel Connection(string connectionId) => RedisChannel.Literal(_base + "conn:" + connectionId);

    public RedisChannel Group(string groupName) => RedisChannel.Literal(_base + "group:" + groupName);

    public RedisChannel User(string userId) => RedisChannel.Literal(_base + "user:" + userId);
}

/// <summary>One handler on one channel, delivering in publish order through its own <see cref="OrderedDispatcher"/>.</summary>
internal sealed class ChannelSubscription
{
    public ChannelSubscription(RedisChannel channel, Func<byte[], ValueTask> handler)
    {
        Channel = channel;
        var dispatcher = new OrderedDispatcher(handler);
        Handler = (_, value) =>
        {
            if ((byte[]?)value is { } bytes)
            {
                dispatcher.Post(bytes);
            }
        };
    }

    public RedisChannel Channel { get; }

    public Action<RedisChannel, RedisValue> Handler { get; }
}
