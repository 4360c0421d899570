using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text;
using Platform.Redis.Protocol;

namespace Platform.Redis.Internal;

internal sealed partial class PhysicalConnection
{
    private static readonly CommandName Hello = new("HELLO");
    private static readonly CommandName Auth = new("AUTH");
    private static readonly CommandName Client = new("CLIENT");

    private async Task ReadLoopAsync()
    {
        var reader = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 8 * 1024, leaveOpen: true));
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                Volatile.Write(ref _lastRead, Stopwatch.GetTimestamp());
                var consumed = ProcessFrames(buffer);
                reader.AdvanceTo(consumed, buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    Fail(ConnectionFailureType.SocketClosed, new RedisConnectionException(ConnectionFailureType.SocketClosed,
                        $"{Format(EndPoint)} closed the connection"));
                    break;
                }
            }
        }
        catch (RedisProtocolException e)
        {
            Fail(ConnectionFailureType.ProtocolFailure, new RedisConnectionException(ConnectionFailureType.ProtocolFailure,
                $"protocol error from {Format(EndPoint)}: {e.Message}", e));
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            Fail(ConnectionFailureType.SocketFailure, new RedisConnectionException(ConnectionFailureType.SocketFailure,
                $"reading from {Format(EndPoint)} failed: {e.Message}", e));
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    private SequencePosition ProcessFrames(ReadOnlySequence<byte> buffer)
    {
        while (!buffer.IsEmpty && RespReader.TryScanFrame(buffer, out var end))
        {
            ProcessFrame(buffer.Slice(0, end));
            buffer = buffer.Slice(end);
        }

        return buffer.Start;
    }

    private void ProcessFrame(ReadOnlySequence<byte> frame)
    {
        var first = frame.FirstSpan[0];
        if (first == (byte)'>' || (first == (byte)'*' && Type == ConnectionType.Subscription))
        {
            var push = new RespReader(frame);
            if (TryHandlePush(ref push, frame))
            {
                return;
            }
        }

        if (!_pending.TryDequeue(out var message))
        {
            throw new RedisProtocolException("a reply arrived with no command waiting for it");
        }

        var reader = new RespReader(frame);
        message.Complete(ref reader);
    }

    /// <summary>Pub/sub frames (RESP3 push or RESP2 arrays on the subscriber connection).</summary>
    private bool TryHandlePush(ref RespReader reader, ReadOnlySequence<byte> frame)
    {
        var count = reader.ReadAggregateHeader();
        if (count < 1)
        {
            return false;
        }

        var kindToken = reader.ReadValueToken();
        if (kindToken.IsAggregate || kindToken.IsNull || kindToken.IsError || kindToken.Payload.Length > 16)
        {
            return false;
        }

        Span<byte> kindBytes = stackalloc byte[16];
        kindToken.Payload.CopyTo(kindBytes);
        var kind = kindBytes[..(int)kindToken.Payload.Length];
        if (kind.SequenceEqual("message"u8) || kind.SequenceEqual("smessage"u8))
        {
            var channel = reader.ReadValue();
            PushHandler?.Invoke("message", channel, channel, reader.ReadValue());
            return true;
        }

        if (kind.SequenceEqual("pmessage"u8))
        {
            var pattern = reader.ReadValue();
            var channel = reader.ReadValue();
            PushHandler?.Invoke("pmessage", pattern, channel, reader.ReadValue());
            return true;
        }

        if (kind.SequenceEqual("subscribe"u8) || kind.SequenceEqual("psubscribe"u8) || kind.SequenceEqual("unsubscribe"u8) ||
            kind.SequenceEqual("punsubscribe"u8) || kind.SequenceEqual("ssubscribe"u8) || kind.SequenceEqual("sunsubscribe"u8) ||
            (kind.SequenceEqual("pong"u8) && Type == ConnectionType.Subscription))
        {
            // Confirmations answer our (un)subscribe commands, one per channel, in order.
            if (_pending.TryDequeue(out var message))
            {
                var whole = new RespReader(frame);
                message.Complete(ref whole);
            }

            return true;
        }

        // Other pushes (client tracking invalidations and the like) are not used by this client.
        return frame.FirstSpan[0] == (byte)'>';
    }

    public Task<T> SendAsync<T>(in CommandArgs args, ResultProcessor<T> processor, int db = -1)
    {
        var message = new PendingMessage<T>(args.Name.Text, processor, Options.EffectiveAsyncTimeout);
        return TryWrite(args, message, db)
            ? message.Task
            : Task.FromException<T>(new RedisConnectionException(ConnectionFailureType.SocketClosed, $"connection to {Format(EndPoint)} is closed"));
    }

    private async Task HandshakeAsync(bool isSentinel, CancellationToken ct)
    {
        var o = Options;
        var resp2 = o.Protocol == 2;
        if (!resp2)
        {
            var hello = new CommandArgs(Hello, 3);
            if (o.Password is not null)
            {
                hello = hello.Add("AUTH").Add(o.User ?? "default").Add(o.Password);
            }

            if (o.ClientName is not null && !isSentinel)
            {
                hello = hello.Add("SETNAME").Add(o.ClientName);
            }

            try
            {
                await SendAsync(hello, Processors.Result).WaitAsync(ct).ConfigureAwait(false);
                Protocol = 3;
            }
            catch (RedisServerException e) when (e.Message.StartsWith("NOPROTO", StringComparison.Ordinal) ||
                                                e.Message.Contains("unknown command", StringComparison.OrdinalIgnoreCase))
            {
                resp2 = true;
            }
        }

        if (resp2)
        {
            if (o.Password is not null)
            {
                var auth = o.User is null ? new CommandArgs(Auth, o.Password) : new CommandArgs(Auth, o.User, o.Password);
                try
                {
                    await SendAsync(auth, Processors.Ok).WaitAsync(ct).ConfigureAwait(false);
                }
                catch (RedisServerException e) when (e.Message.Contains("without any password configured", StringComparison.Ordinal) ||
                                                    e.Message.Contains("no password is set", StringComparison.Ordinal))
                {
                    // The server has no password (typical for Sentinels): the same connection string still works.
                }
            }

            if (o.ClientName is not null && !isSentinel)
            {
                try
                {
                    await SendAsync(new CommandArgs(Client, "SETNAME", o.ClientName), Processors.Ok).WaitAsync(ct).ConfigureAwait(false);
                }
                catch (RedisServerException)
                {
                    // a name is cosmetic
                }
            }
        }
    }

    internal static string Describe(ReadOnlySequence<byte> bytes) => Encoding.UTF8.GetString(bytes);
}
