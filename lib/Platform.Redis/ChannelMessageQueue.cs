using System.Threading.Channels;

namespace Platform.Redis;

/// <summary>One message received on a subscription.</summary>
public readonly record struct ChannelMessage(RedisChannel SubscriptionChannel, RedisChannel Channel, RedisValue Message);

/// <summary>The messages of one subscription, in order. Read them with <see cref="ReadAsync"/> or hand them to a
/// handler with <see cref="OnMessage(Action{ChannelMessage})"/>.</summary>
public sealed class ChannelMessageQueue : IAsyncEnumerable<ChannelMessage>
{
    private readonly Channel<ChannelMessage> _queue = System.Threading.Channels.Channel.CreateUnbounded<ChannelMessage>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = true, AllowSynchronousContinuations = false });

    private readonly Internal.Subscriber _owner;

    internal ChannelMessageQueue(RedisChannel channel, Internal.Subscriber owner)
    {
        Channel = channel;
        _owner = owner;
    }

    public RedisChannel Channel { get; }

    public bool Completion => _queue.Reader.Completion.IsCompleted;

    internal void Write(in ChannelMessage message) => _queue.Writer.TryWrite(message);

    internal void Complete() => _queue.Writer.TryComplete();

    public ValueTask<ChannelMessage> ReadAsync(CancellationToken cancellationToken = default) => _queue.Reader.ReadAsync(cancellationToken);

    public bool TryRead(out ChannelMessage message) => _queue.Reader.TryRead(out message);

    /// <summary>Runs <paramref name="handler"/> for each message, in order, on the thread pool.</summary>
    public void OnMessage(Action<ChannelMessage> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        OnMessage(m =>
        {
            handler(m);
            return Task.CompletedTask;
        });
    }

    public void OnMessage(Func<ChannelMessage, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _ = Task.Run(async () =>
        {
            await foreach (var m in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                try
                {
                    await handler(m).ConfigureAwait(false);
                }
#pragma warning disable CA1031 // one failing message must not stop the subscription
                catch (Exception)
#pragma warning restore CA1031
                {
                }
            }
        });
    }

    public Task UnsubscribeAsync(CommandFlags flags = CommandFlags.None) => _owner.RemoveQueueAsync(this, flags);

    public IAsyncEnumerator<ChannelMessage> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
        _queue.Reader.ReadAllAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
}
