using System.Threading.Channels;
using Platform.Redis.Protocol;

namespace Platform.Redis.Internal;

/// <summary>The registry of subscriptions: handlers are reference-counted per channel (the server is subscribed while
/// at least one handler or queue remains) and replayed on every new subscriber connection.</summary>
internal sealed class Subscriber(ConnectionMultiplexer multiplexer) : ISubscriber, IDisposable
{
    private static readonly CommandName Subscribe = new("SUBSCRIBE");
    private static readonly CommandName PSubscribe = new("PSUBSCRIBE");
    private static readonly CommandName Unsubscribe = new("UNSUBSCRIBE");
    private static readonly CommandName PUnsubscribe = new("PUNSUBSCRIBE");
    private static readonly CommandName Publish = new("PUBLISH");

    private readonly Lock _lock = new();
    private readonly Dictionary<RedisChannel, Subscription> _subscriptions = [];

    public IConnectionMultiplexer Multiplexer => multiplexer;

    private sealed class Subscription(RedisChannel channel)
    {
        public RedisChannel Channel { get; } = channel;

        public Action<RedisChannel, RedisValue>[] Handlers { get; set; } = [];

        public ChannelMessageQueue[] Queues { get; set; } = [];

        public Channel<ChannelMessage>? HandlerQueue { get; set; }

        public bool IsEmpty => Handlers.Length == 0 && Queues.Length == 0;
    }

    public async Task SubscribeAsync(RedisChannel channel, Action<RedisChannel, RedisValue> handler, CommandFlags flags = CommandFlags.None)
    {
        ArgumentNullException.ThrowIfNull(handler);
        bool created;
        lock (_lock)
        {
            created = GetOrAdd(channel, out var s);
            s.Handlers = [.. s.Handlers, handler];
            if (s.HandlerQueue is null)
            {
                s.HandlerQueue = System.Threading.Channels.Channel.CreateUnbounded<ChannelMessage>(
                    new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
                _ = Task.Run(() => PumpAsync(s));
            }
        }

        if (created)
        {
            await SendAsync(channel, subscribe: true, flags).ConfigureAwait(false);
        }
    }

    public async Task<ChannelMessageQueue> SubscribeAsync(RedisChannel channel, CommandFlags flags = CommandFlags.None)
    {
        var queue = new ChannelMessageQueue(channel, this);
        bool created;
        lock (_lock)
        {
            created = GetOrAdd(channel, out var s);
            s.Queues = [.. s.Queues, queue];
        }

        if (created)
        {
            await SendAsync(channel, subscribe: true, flags).ConfigureAwait(false);
        }

        return queue;
    }

    public async Task UnsubscribeAsync(RedisChannel channel, Action<RedisChannel, RedisValue>? handler = null, CommandFlags flags = CommandFlags.None)
    {
        bool removed;
        lock (_lock)
        {
            if (!_subscriptions.TryGetValue(channel, out var s))
            {
                return;
            }

            if (handler is null)
            {
                s.Handlers = [];
                foreach (var q in s.Queues)
                {
                    q.Complete();
                }

                s.Queues = [];
            }
            else
            {
                s.Handlers = [.. s.Handlers.Where(h => h != handler)];
            }

            removed = RemoveIfEmpty(s);
        }

        if (removed)
        {
            await SendAsync(channel, subscribe: false, flags).ConfigureAwait(false);
        }
    }

    internal async Task RemoveQueueAsync(ChannelMessageQueue queue, CommandFlags flags)
    {
        bool removed;
        lock (_lock)
        {
            if (!_subscriptions.TryGetValue(queue.Channel, out var s))
            {
                return;
            }

            s.Queues = [.. s.Queues.Where(q => q != queue)];
            queue.Complete();
            removed = RemoveIfEmpty(s);
        }

        if (removed)
        {
            await SendAsync(queue.Channel, subscribe: false, flags).ConfigureAwait(false);
        }
    }

    public async Task UnsubscribeAllAsync(CommandFlags flags = CommandFlags.None)
    {
        RedisChannel[] channels;
        lock (_lock)
        {
            channels = [.. _subscriptions.Keys];
            foreach (var s in _subscriptions.Values)
            {
                Close(s);
            }

            _subscriptions.Clear();
        }

        // One command per channel: a bare UNSUBSCRIBE gets one confirmation per channel, which would not match up.
        await Task.WhenAll(channels.Select(c => SendAsync(c, subscribe: false, flags))).ConfigureAwait(false);
    }

    public Task<long> PublishAsync(RedisChannel channel, RedisValue message, CommandFlags flags = CommandFlags.None) =>
        multiplexer.Interactive.ExecuteAsync(new CommandArgs(Publish, channel.Name, message), Processors.Int64, -1, flags);

    private bool GetOrAdd(RedisChannel channel, out Subscription subscription)
    {
        if (_subscriptions.TryGetValue(channel, out subscription!))
        {
            return false;
        }

        subscription = new Subscription(channel);
        _subscriptions.Add(channel, subscription);
        return true;
    }

    private bool RemoveIfEmpty(Subscription s)
    {
        if (!s.IsEmpty)
        {
            return false;
        }

        Close(s);
        _subscriptions.Remove(s.Channel);
        return true;
    }

    private static void Close(Subscription s)
    {
        s.HandlerQueue?.Writer.TryComplete();
        foreach (var q in s.Queues)
        {
            q.Complete();
        }
    }

    private Task SendAsync(RedisChannel channel, bool subscribe, CommandFlags flags)
    {
        var name = subscribe ? (channel.IsPattern ? PSubscribe : Subscribe) : (channel.IsPattern ? PUnsubscribe : Unsubscribe);
        return multiplexer.Subscription.ExecuteAsync(new CommandArgs(name, channel.Name), Processors.Result, -1, flags);
    }

    /// <summary>Called on the reader loop: only hands the message over to queues.</summary>
    public void OnPush(string kind, RedisValue subscription, RedisValue channel, RedisValue payload)
    {
        var key = kind == "pmessage" ? RedisChannel.Pattern(subscription.ToString()) : RedisChannel.Literal(channel.ToString());
        Subscription? s;
        lock (_lock)
        {
            _subscriptions.TryGetValue(key, out s);
        }

        if (s is null)
        {
            return;
        }

        var message = new ChannelMessage(key, key.IsPattern ? RedisChannel.Literal(channel.ToString()) : key, payload);
        s.HandlerQueue?.Writer.TryWrite(message);
        foreach (var q in s.Queues)
        {
            q.Write(message);
        }
    }

    private static async Task PumpAsync(Subscription s)
    {
        var reader = s.HandlerQueue!.Reader;
        await foreach (var m in reader.ReadAllAsync().ConfigureAwait(false))
        {
            foreach (var handler in s.Handlers)
            {
                try
                {
                    handler(m.Channel, m.Message);
                }
#pragma warning disable CA1031 // a failing handler must not stop the others or later messages
                catch (Exception)
#pragma warning restore CA1031
                {
                }
            }
        }
    }

    /// <summary>Replays every subscription on a new subscriber connection, then tells the application.</summary>
    public async Task ResubscribeAsync(PhysicalConnection connection)
    {
        RedisChannel[] channels;
        lock (_lock)
        {
            channels = [.. _subscriptions.Keys];
        }

        var pending = new List<Task>(channels.Length);
        foreach (var c in channels)
        {
            pending.Add(connection.SendAsync(new CommandArgs(c.IsPattern ? PSubscribe : Subscribe, c.Name), Processors.Result));
        }

        try
        {
            await Task.WhenAll(pending).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisConnectionException or RedisTimeoutException or RedisServerException)
        {
            multiplexer.LogLine($"resubscribe failed: {e.Message}");
            return; // the connection failed again; the next one resubscribes
        }

        multiplexer.RaiseSubscriptionsRestored();
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var s in _subscriptions.Values)
            {
                Close(s);
            }

            _subscriptions.Clear();
        }
    }
}
