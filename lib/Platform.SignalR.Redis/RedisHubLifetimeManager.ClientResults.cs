using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace Platform.SignalR.Redis;

public sealed partial class RedisHubLifetimeManager<THub>
{
    /// <summary>Invocations this server started and waits a result for.</summary>
    private readonly ConcurrentDictionary<string, PendingInvocation> _pending = new(StringComparer.Ordinal);

    /// <summary>Invocations other servers started on connections of this server: where to send the result.</summary>
    private readonly ConcurrentDictionary<string, RoutedInvocation> _routed = new(StringComparer.Ordinal);

    private long _nextInvocationId;

    public override async Task<T> InvokeConnectionAsync<T>(string connectionId, string methodName, object?[] args,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connectionId);
        var invocationId = _invocationIdPrefix + Interlocked.Increment(ref _nextInvocationId).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var pending = new PendingInvocation<T>(connectionId);
        _pending[invocationId] = pending;
        var invocation = new InvocationMessage(invocationId, methodName, args);
        var isLocal = _connections.TryGetValue(connectionId, out var state);
        try
        {
            if (isLocal)
            {
                await state!.Context.WriteAsync(invocation, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var envelope = Envelope.ClientInvocation(_serverId, invocationId, Serialize(invocation, out _));
                if (await PublishRequiredAsync(_channels.Connection(connectionId), envelope).ConfigureAwait(false) == 0)
                {
                    throw new IOException($"Connection '{connectionId}' does not exist.");
                }
            }
        }
        catch
        {
            _pending.TryRemove(invocationId, out _);
            throw;
        }

        using var timeout = !isLocal && _options.ClientResultTimeout != Timeout.InfiniteTimeSpan
            ? new CancellationTokenSource(_options.ClientResultTimeout, _time)
            : null;
        await using var onTimeout = timeout?.Token.UnsafeRegister(_ => Abandon(invocationId, connectionId, new TimeoutException(
            $"Connection '{connectionId}' on another server returned no result within {_options.ClientResultTimeout.TotalSeconds:0.#} s.")), null);
        await using var onCancel = cancellationToken.UnsafeRegister(_ => Abandon(invocationId, connectionId,
            new HubException("Invocation canceled by the server.")), null);
        return await pending.Task.ConfigureAwait(false);
    }

    public override Task SetConnectionResultAsync(string connectionId, CompletionMessage result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var id = result.InvocationId ?? throw new ArgumentException("A completion needs an invocation id.", nameof(result));
        if (_pending.TryGetValue(id, out var pending))
        {
            ThrowIfWrongConnection(pending.ConnectionId, connectionId, id);
            if (_pending.TryRemove(KeyValuePair.Create(id, pending)))
            {
                pending.Complete(result);
            }

            return Task.CompletedTask;
        }

        if (_routed.TryGetValue(id, out var routed))
        {
            ThrowIfWrongConnection(routed.ConnectionId, connectionId, id);
            if (_routed.TryRemove(KeyValuePair.Create(id, routed)))
            {
                // Serialized with the connection's own protocol: a RawResult from the client passes through untouched and
                // the origin binds it to the type it expects.
                var bytes = routed.Protocol.GetMessageBytes(result);
                return PublishAsync(_channels.Server(routed.Origin),
                    Envelope.ClientResult(_serverId, id, ClientResultStatus.Completed, routed.Protocol.Name, bytes));
            }

            return Task.CompletedTask;
        }

        Log.UnknownInvocation(_logger, id, connectionId);
        return Task.CompletedTask;
    }

    public override bool TryGetReturnType(string invocationId, [NotNullWhen(true)] out Type? type)
    {
        if (_pending.TryGetValue(invocationId, out var pending))
        {
            type = pending.ResultType;
            return true;
        }

        if (_routed.ContainsKey(invocationId))
        {
            // The origin server knows the type; keep the client's bytes as they are.
            type = typeof(RawResult);
            return true;
        }

        type = null;
        return false;
    }

    private static void ThrowIfWrongConnection(string expected, string actual, string invocationId)
    {
        if (!string.Equals(expected, actual, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"Connection ID '{actual}' is not valid for invocation ID '{invocationId}'.");
        }
    }

    /// <summary>Cancellation or timeout: fail the caller and tell the client (through its server) to stop.</summary>
    private void Abandon(string invocationId, string connectionId, Exception reason)
    {
        if (!_pending.TryRemove(invocationId, out var pending))
        {
            return;
        }

        pending.Fail(reason);
        _ = _connections.TryGetValue(connectionId, out var state)
            ? WriteCancelAsync(state.Context, invocationId)
            : PublishAsync(_channels.Connection(connectionId), Envelope.ClientCancel(_serverId, invocationId));
    }

    private async Task WriteCancelAsync(HubConnectionContext connection, string invocationId)
    {
        try
        {
            await connection.WriteAsync(new CancelInvocationMessage(invocationId)).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log.WriteFailed(_logger, connection.ConnectionId, ex);
        }
    }

    /// <summary>A connection left: whoever waits for a result from it gets "disconnected" instead of waiting for ever.</summary>
    private void FailInvocationsOf(string connectionId, List<Task> notifications)
    {
        foreach (var (id, pending) in _pending)
        {
            if (pending.ConnectionId == connectionId && _pending.TryRemove(KeyValuePair.Create(id, pending)))
            {
                pending.Fail(new IOException($"Connection '{connectionId}' disconnected."));
            }
        }

        foreach (var (id, routed) in _routed)
        {
            if (routed.ConnectionId == connectionId && _routed.TryRemove(KeyValuePair.Create(id, routed)))
            {
                notifications.Add(PublishAsync(_channels.Server(routed.Origin),
                    Envelope.ClientResult(_serverId, id, ClientResultStatus.Disconnected, routed.Protocol.Name, ReadOnlyMemory<byte>.Empty)));
            }
        }
    }

    private async ValueTask StartRoutedInvocationAsync(ConnectionState state, Guid origin, Envelope.Reader reader)
    {
        var invocationId = reader.ReadString();
        var messages = reader.ReadMessages(_protocolNames);
        var connection = state.Context;
        if (!_connections.ContainsKey(connection.ConnectionId))
        {
            await PublishAsync(_channels.Server(origin), Envelope.ClientResult(
                _serverId, invocationId, ClientResultStatus.Disconnected, connection.Protocol.Name, ReadOnlyMemory<byte>.Empty)).ConfigureAwait(false);
            return;
        }

        _routed[invocationId] = new RoutedInvocation(connection.ConnectionId, origin, connection.Protocol);
        await connection.WriteAsync(new SerializedHubMessage(messages)).ConfigureAwait(false);
    }

    private async ValueTask CancelRoutedInvocationAsync(ConnectionState state, Envelope.Reader reader)
    {
        var invocationId = reader.ReadString();
        if (_routed.TryRemove(invocationId, out _))
        {
            await WriteCancelAsync(state.Context, invocationId).ConfigureAwait(false);
        }
    }

    private void CompleteFromRemote(Envelope.Reader reader)
    {
        var invocationId = reader.ReadString();
        var status = (ClientResultStatus)reader.ReadByte();
        var protocolName = reader.ReadKnownString(_protocolNames);
        var payload = reader.ReadBytes();
        if (!_pending.TryRemove(invocationId, out var pending))
        {
            return;
        }

        if (status == ClientResultStatus.Disconnected)
        {
            pending.Fail(new IOException($"Connection '{pending.ConnectionId}' disconnected."));
            return;
        }

        var protocol = _protocolResolver.GetProtocol(protocolName, null);
        var sequence = new ReadOnlySequence<byte>(payload);
        if (protocol is null || !protocol.TryParseMessage(ref sequence, new ResultBinder(pending.ResultType), out var message)
            || message is not CompletionMessage completion)
        {
            pending.Fail(new HubException($"The result of invocation '{invocationId}' could not be read (protocol '{protocolName}')."));
            return;
        }

        pending.Complete(completion);
    }

    private sealed record RoutedInvocation(string ConnectionId, Guid Origin, IHubProtocol Protocol);

    private sealed class ResultBinder(Type resultType) : IInvocationBinder
    {
        public Type GetReturnType(string invocationId) => resultType;

        public IReadOnlyList<Type> GetParameterTypes(string methodName) => throw new NotSupportedException();

        public Type GetStreamItemType(string streamId) => throw new NotSupportedException();
    }

    private abstract class PendingInvocation(string connectionId)
    {
        public string ConnectionId { get; } = connectionId;

        public abstract Type ResultType { get; }

        public abstract void Complete(CompletionMessage completion);

        public abstract void Fail(Exception exception);
    }

    private sealed class PendingInvocation<T>(string connectionId) : PendingInvocation(connectionId)
    {
        private readonly TaskCompletionSource<T> _tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<T> Task => _tcs.Task;

        public override Type ResultType => typeof(T);

        public override void Complete(CompletionMessage completion)
        {
            if (completion.Error is { } error)
            {
                _tcs.TrySetException(new HubException(error));
            }
            else if (completion.Result is T value)
            {
                _tcs.TrySetResult(value);
            }
            else if (completion.Result is null && default(T) is null)
            {
                _tcs.TrySetResult(default!);
            }
            else
            {
                _tcs.TrySetException(new HubException($"Error trying to deserialize result to {typeof(T).Name}."));
            }
        }

        public override void Fail(Exception exception) => _tcs.TrySetException(exception);
    }
}
