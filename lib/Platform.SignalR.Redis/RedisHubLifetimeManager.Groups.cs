using Microsoft.AspNetCore.SignalR;

namespace Platform.SignalR.Redis;

public sealed partial class RedisHubLifetimeManager<THub>
{
    private readonly AckRegistry _acks = new();

    public override async Task AddToGroupAsync(string connectionId, string groupName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connectionId);
        ArgumentNullException.ThrowIfNull(groupName);
        if (_connections.TryGetValue(connectionId, out var state))
        {
            await AddLocalAsync(state, groupName).ConfigureAwait(false);
            return;
        }

        await SendGroupCommandAsync(GroupAction.Add, connectionId, groupName, cancellationToken).ConfigureAwait(false);
    }

    public override async Task RemoveFromGroupAsync(string connectionId, string groupName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connectionId);
        ArgumentNullException.ThrowIfNull(groupName);
        if (_connections.TryGetValue(connectionId, out var state))
        {
            await RemoveLocalAsync(state, groupName).ConfigureAwait(false);
            return;
        }

        await SendGroupCommandAsync(GroupAction.Remove, connectionId, groupName, cancellationToken).ConfigureAwait(false);
    }

    private async Task AddLocalAsync(ConnectionState state, string group)
    {
        if (!state.TryAddGroup(group))
        {
            return;
        }

        try
        {
            // Returns once Redis confirmed the group subscription, so a send from another server right after reaches it.
            await _groups.AddAsync(group, state.Context, SubscribeGroupAsync).ConfigureAwait(false);
        }
        catch
        {
            state.TryRemoveGroup(group);
            throw;
        }
    }

    private async Task RemoveLocalAsync(ConnectionState state, string group)
    {
        if (state.TryRemoveGroup(group))
        {
            await _groups.RemoveAsync(group, state.Context.ConnectionId, UnsubscribeAsync).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Sends the change on the connection's own channel: only the owning server is subscribed to it, so PUBLISH's
    /// receiver count says at once whether any server owns the connection (none: nothing to do), and the owner applies
    /// the change in order with the messages sent to that connection before acknowledging it.
    /// </summary>
    private async Task SendGroupCommandAsync(GroupAction action, string connectionId, string group, CancellationToken cancellationToken)
    {
        var (ackId, acknowledged) = _acks.Create();
        try
        {
            var envelope = Envelope.GroupCommand(_serverId, ackId, action, connectionId, group);
            var receivers = await PublishRequiredAsync(_channels.Connection(connectionId), envelope).ConfigureAwait(false);
            if (receivers == 0)
            {
                Log.GroupCommandNoOwner(_logger, connectionId, group);
                return;
            }

            try
            {
                await acknowledged.WaitAsync(_options.AckTimeout, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException ex)
            {
                throw new TimeoutException(
                    $"The server owning connection '{connectionId}' did not acknowledge {(action == GroupAction.Add ? "adding it to" : "removing it from")} " +
                    $"group '{group}' within {_options.AckTimeout.TotalSeconds:0.#} s.", ex);
            }
        }
        finally
        {
            _acks.Remove(ackId);
        }
    }

    private async ValueTask ApplyGroupCommandAsync(ConnectionState state, Guid origin, Envelope.Reader reader)
    {
        var ackId = reader.ReadVarInt();
        var action = (GroupAction)reader.ReadByte();
        _ = reader.ReadString();
        var group = reader.ReadString();
        if (_connections.TryGetValue(state.Context.ConnectionId, out var current) && ReferenceEquals(current, state))
        {
            if (action == GroupAction.Add)
            {
                await AddLocalAsync(state, group).ConfigureAwait(false);
            }
            else
            {
                await RemoveLocalAsync(state, group).ConfigureAwait(false);
            }
        }

        // Acknowledge even when the connection left meanwhile: the sender must not wait for a timeout.
        await PublishAsync(_channels.Server(origin), Envelope.Ack(_serverId, ackId)).ConfigureAwait(false);
    }
}

/// <summary>Outstanding acknowledgements this server waits for.</summary>
internal sealed class AckRegistry
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, TaskCompletionSource> _pending = new();
    private long _next;

    public (long Id, Task Acknowledged) Create()
    {
        var id = Interlocked.Increment(ref _next);
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = tcs;
        return (id, tcs.Task);
    }

    public void Complete(long id)
    {
        if (_pending.TryRemove(id, out var tcs))
        {
            tcs.TrySetResult();
        }
    }

    public void Remove(long id) => _pending.TryRemove(id, out _);
}
