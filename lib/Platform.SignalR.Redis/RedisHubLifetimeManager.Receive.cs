using Microsoft.AspNetCore.SignalR;

namespace Platform.SignalR.Redis;

public sealed partial class RedisHubLifetimeManager<THub>
{
    private ValueTask OnAllMessageAsync(byte[] data)
    {
        try
        {
            var reader = Envelope.Open(data, out var kind, out var origin);
            // This server delivered to its own connections when it sent the message.
            if (kind != EnvelopeKind.Invocation || origin == _serverId)
            {
                return ValueTask.CompletedTask;
            }

            var excluded = reader.ReadStrings();
            var message = new SerializedHubMessage(reader.ReadMessages(_protocolNames));
            return new ValueTask(WriteAll(_connections, message, excluded, CancellationToken.None));
        }
        catch (Exception ex)
        {
            Log.ReceiveFailed(_logger, HubName, "all", ex);
            return ValueTask.CompletedTask;
        }
    }

    private ValueTask OnGroupMessageAsync(string group, byte[] data) => OnMembersMessageAsync(_groups, group, data);

    private ValueTask OnUserMessageAsync(string user, byte[] data) => OnMembersMessageAsync(_users, user, data);

    private ValueTask OnMembersMessageAsync(MembershipRegistry registry, string name, byte[] data)
    {
        try
        {
            var reader = Envelope.Open(data, out var kind, out var origin);
            if (kind != EnvelopeKind.Invocation || origin == _serverId || !registry.TryGetMembers(name, out var members))
            {
                return ValueTask.CompletedTask;
            }

            var excluded = reader.ReadStrings();
            var message = new SerializedHubMessage(reader.ReadMessages(_protocolNames));
            return new ValueTask(WriteAll(members, message, excluded, CancellationToken.None));
        }
        catch (Exception ex)
        {
            Log.ReceiveFailed(_logger, HubName, name, ex);
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>Everything addressed to one connection: messages, group changes and client-result invocations, in order.</summary>
    private async ValueTask OnConnectionMessageAsync(ConnectionState state, byte[] data)
    {
        try
        {
            var reader = Envelope.Open(data, out var kind, out var origin);
            switch (kind)
            {
                case EnvelopeKind.Invocation:
                    _ = reader.ReadStrings();
                    await state.Context.WriteAsync(new SerializedHubMessage(reader.ReadMessages(_protocolNames))).ConfigureAwait(false);
                    break;
                case EnvelopeKind.GroupCommand:
                    await ApplyGroupCommandAsync(state, origin, reader).ConfigureAwait(false);
                    break;
                case EnvelopeKind.ClientInvocation:
                    await StartRoutedInvocationAsync(state, origin, reader).ConfigureAwait(false);
                    break;
                case EnvelopeKind.ClientCancel:
                    await CancelRoutedInvocationAsync(state, reader).ConfigureAwait(false);
                    break;
            }
        }
        catch (Exception ex)
        {
            Log.ReceiveFailed(_logger, HubName, "conn:" + state.Context.ConnectionId, ex);
        }
    }

    /// <summary>Answers addressed to this server: acknowledgements and client results.</summary>
    private ValueTask OnServerMessageAsync(byte[] data)
    {
        try
        {
            var reader = Envelope.Open(data, out var kind, out _);
            switch (kind)
            {
                case EnvelopeKind.Ack:
                    _acks.Complete(reader.ReadVarInt());
                    break;
                case EnvelopeKind.ClientResult:
                    CompleteFromRemote(reader);
                    break;
            }
        }
        catch (Exception ex)
        {
            Log.ReceiveFailed(_logger, HubName, "server", ex);
        }

        return ValueTask.CompletedTask;
    }
}
