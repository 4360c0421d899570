namespace Platform.SignalR.Redis;

/// <summary>
/// Tells the application when the backplane loses Redis and when it is back. Redis pub/sub is at-most-once: every
/// message for other servers published while the backplane was disconnected is lost, so on
/// <see cref="Resynchronize"/> the application should bring its clients up to date (for example re-send the current
/// state of each group from its store).
/// </summary>
public interface IBackplaneEvents
{
    /// <summary>Raised once per outage of a hub's backplane, when Redis becomes unreachable.</summary>
    event EventHandler<BackplaneDisconnectedEventArgs>? Disconnected;

    /// <summary>Raised after the backplane reconnected and resubscribed (including after a Sentinel failover).</summary>
    event EventHandler<BackplaneResynchronizeEventArgs>? Resynchronize;
}

public sealed class BackplaneDisconnectedEventArgs(Type hubType, DateTimeOffset since) : EventArgs
{
    public Type HubType { get; } = hubType;

    public DateTimeOffset Since { get; } = since;
}

public sealed class BackplaneResynchronizeEventArgs(Type hubType, DateTimeOffset? outageStarted, DateTimeOffset restored, long droppedMessages)
    : EventArgs
{
    public Type HubType { get; } = hubType;

    /// <summary>When the backplane noticed the outage; null when Redis resubscribed without the backplane noticing one.</summary>
    public DateTimeOffset? OutageStarted { get; } = outageStarted;

    public DateTimeOffset Restored { get; } = restored;

    /// <summary>Messages for other servers this server could not publish during the outage (messages other servers
    /// published to this one in that time are lost too, and cannot be counted here).</summary>
    public long DroppedMessages { get; } = droppedMessages;
}

internal sealed class BackplaneEvents : IBackplaneEvents
{
    public event EventHandler<BackplaneDisconnectedEventArgs>? Disconnected;

    public event EventHandler<BackplaneResynchronizeEventArgs>? Resynchronize;

    public void RaiseDisconnected(object sender, BackplaneDisconnectedEventArgs e) => Disconnected?.Invoke(sender, e);

    public void RaiseResynchronize(object sender, BackplaneResynchronizeEventArgs e) => Resynchronize?.Invoke(sender, e);
}
