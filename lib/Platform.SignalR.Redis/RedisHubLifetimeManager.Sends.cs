using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Platform.Redis;

namespace Platform.SignalR.Redis;

public sealed partial class RedisHubLifetimeManager<THub>
{
    public override Task SendAllAsync(string methodName, object?[] args, CancellationToken cancellationToken = default)
        => SendAllExceptAsync(methodName, args, [], cancellationToken);

    public override async Task SendAllExceptAsync(string methodName, object?[] args, IReadOnlyList<string> excludedConnectionIds,
        CancellationToken cancellationToken = default)
    {
        var serialized = Serialize(new InvocationMessage(methodName, args), out var message);
        // Publish first: other servers start delivering while this one writes to its own connections.
        var publish = PublishAsync(_channels.All, Envelope.Invocation(_serverId, excludedConnectionIds, serialized));
        await WriteAll(_connections, message, excludedConnectionIds, cancellationToken).ConfigureAwait(false);
        await publish.ConfigureAwait(false);
    }

    public override async Task SendConnectionAsync(string connectionId, string methodName, object?[] args,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connectionId);
        var invocation = new InvocationMessage(methodName, args);
        if (_connections.TryGetValue(connectionId, out var state))
        {
            // Like the in-memory manager: a failed write to a local connection is the caller's error.
            await state.Context.WriteAsync(new SerializedHubMessage(invocation), cancellationToken).ConfigureAwait(false);
            return;
        }

        var serialized = Serialize(invocation, out _);
        await PublishAsync(_channels.Connection(connectionId), Envelope.Invocation(_serverId, null, serialized)).ConfigureAwait(false);
    }

    public override async Task SendConnectionsAsync(IReadOnlyList<string> connectionIds, string methodName, object?[] args,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connectionIds);
        var serialized = Serialize(new InvocationMessage(methodName, args), out var message);
        List<Task>? pending = null;
        byte[]? envelope = null;
        foreach (var id in connectionIds)
        {
            if (_connections.TryGetValue(id, out var state))
            {
                Write(state.Context, message, ref pending, cancellationToken);
            }
            else
            {
                envelope ??= Envelope.Invocation(_serverId, null, serialized);
                (pending ??= []).Add(PublishAsync(_channels.Connection(id), envelope));
            }
        }

        await WhenAll(pending).ConfigureAwait(false);
    }

    public override Task SendGroupAsync(string groupName, string methodName, object?[] args, CancellationToken cancellationToken = default)
        => SendGroupExceptAsync(groupName, methodName, args, [], cancellationToken);

    public override async Task SendGroupExceptAsync(string groupName, string methodName, object?[] args,
        IReadOnlyList<string> excludedConnectionIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(groupName);
        var serialized = Serialize(new InvocationMessage(methodName, args), out var message);
        var publish = PublishAsync(_channels.Group(groupName), Envelope.Invocation(_serverId, excludedConnectionIds, serialized));
        if (_groups.TryGetMembers(groupName, out var members))
        {
            await WriteAll(members, message, excludedConnectionIds, cancellationToken).ConfigureAwait(false);
        }

        await publish.ConfigureAwait(false);
    }

    public override async Task SendGroupsAsync(IReadOnlyList<string> groupNames, string methodName, object?[] args,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(groupNames);
        var serialized = Serialize(new InvocationMessage(methodName, args), out var message);
        var envelope = Envelope.Invocation(_serverId, null, serialized);
        var tasks = new List<Task>(groupNames.Count * 2);
        foreach (var group in groupNames)
        {
            if (_groups.TryGetMembers(group, out var members))
            {
                tasks.Add(WriteAll(members, message, [], cancellationToken));
            }

            tasks.Add(PublishAsync(_channels.Group(group), envelope));
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    public override Task SendUserAsync(string userId, string methodName, object?[] args, CancellationToken cancellationToken = default)
        => SendUsersAsync([userId], methodName, args, cancellationToken);

    public override async Task SendUsersAsync(IReadOnlyList<string> userIds, string methodName, object?[] args,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(userIds);
        var serialized = Serialize(new InvocationMessage(methodName, args), out var message);
        var envelope = Envelope.Invocation(_serverId, null, serialized);
        var tasks = new List<Task>(userIds.Count * 2);
        foreach (var user in userIds)
        {
            if (_users.TryGetMembers(user, out var members))
            {
                tasks.Add(WriteAll(members, message, [], cancellationToken));
            }

            tasks.Add(PublishAsync(_channels.User(user), envelope));
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    /// <summary>Serializes once per hub protocol in use; local writes and the envelope share these bytes.</summary>
    private SerializedMessage[] Serialize(HubMessage hubMessage, out SerializedHubMessage message)
    {
        var serialized = new SerializedMessage[_protocols.Length];
        for (var i = 0; i < _protocols.Length; i++)
        {
            serialized[i] = new SerializedMessage(_protocols[i].Name, _protocols[i].GetMessageBytes(hubMessage));
        }

        message = new SerializedHubMessage(serialized);
        return serialized;
    }

    /// <summary>Publishes something other servers may want; without Redis it is dropped and counted, not thrown.</summary>
    private async Task PublishAsync(RedisChannel channel, byte[] envelope)
    {
        ISubscriber subscriber;
        try
        {
            subscriber = await EnsureStartedAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not ObjectDisposedException)
        {
            Interlocked.Increment(ref _dropped);
            EnterOutage(ex);
            return;
        }

        if (_multiplexer is { IsConnected: false })
        {
            Interlocked.Increment(ref _dropped);
            EnterOutage(null);
            return;
        }

        try
        {
            await subscriber.PublishAsync(channel, envelope).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Interlocked.Increment(ref _dropped);
            EnterOutage(ex);
        }
    }

    /// <summary>Publishes something that needs an answer; returns how many servers received it.</summary>
    private async Task<long> PublishRequiredAsync(RedisChannel channel, byte[] envelope)
    {
        try
        {
            var subscriber = await EnsureStartedAsync().ConfigureAwait(false);
            return await subscriber.PublishAsync(channel, envelope).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not ObjectDisposedException)
        {
            EnterOutage(ex);
            throw new IOException($"The Redis backplane is unavailable: {ex.Message}", ex);
        }
    }

    private Task WriteAll(ConcurrentDictionary<string, ConnectionState> connections, SerializedHubMessage message,
        IReadOnlyList<string>? excluded, CancellationToken cancellationToken)
    {
        List<Task>? pending = null;
        foreach (var (id, state) in connections)
        {
            if (excluded is not { Count: > 0 } || !Contains(excluded, id))
            {
                Write(state.Context, message, ref pending, cancellationToken);
            }
        }

        return WhenAll(pending);
    }

    private Task WriteAll(ConcurrentDictionary<string, HubConnectionContext> connections, SerializedHubMessage message,
        IReadOnlyList<string>? excluded, CancellationToken cancellationToken)
    {
        List<Task>? pending = null;
        foreach (var (id, connection) in connections)
        {
            if (excluded is not { Count: > 0 } || !Contains(excluded, id))
            {
                Write(connection, message, ref pending, cancellationToken);
            }
        }

        return WhenAll(pending);
    }

    /// <summary>One failing connection never stops a fan-out: its failure is logged and the others still get the message.</summary>
    private void Write(HubConnectionContext connection, SerializedHubMessage message, ref List<Task>? pending, CancellationToken cancellationToken)
    {
        try
        {
            var write = connection.WriteAsync(message, cancellationToken);
            if (write.IsCompletedSuccessfully)
            {
                write.GetAwaiter().GetResult();
            }
            else
            {
                (pending ??= []).Add(ObserveAsync(write, connection.ConnectionId));
            }
        }
        catch (Exception ex)
        {
            Log.WriteFailed(_logger, connection.ConnectionId, ex);
        }
    }

    private async Task ObserveAsync(ValueTask write, string connectionId)
    {
        try
        {
            await write.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log.WriteFailed(_logger, connectionId, ex);
        }
    }

    private static Task WhenAll(List<Task>? pending) => pending switch
    {
        null => Task.CompletedTask,
        [var single] => single,
        _ => Task.WhenAll(pending),
    };

    private static bool Contains(IReadOnlyList<string> list, string value)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (string.Equals(list[i], value, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
