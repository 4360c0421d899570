using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.Logging.Abstractions;

namespace Platform.SignalR.Redis.Tests.Infrastructure;

/// <summary>
/// A hub connection over an in-memory duplex pipe: the lifetime manager writes to <see cref="Connection"/>, the test
/// reads what a client would receive with the same hub protocol.
/// </summary>
public sealed class TestClient : IDisposable
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);
    private readonly Pipe _toClient = new();
    private readonly Pipe _toServer = new();
    private readonly IHubProtocol _protocol;

    public TestClient(string? userId = null, IHubProtocol? protocol = null, bool failWrites = false)
    {
        _protocol = protocol ?? new JsonHubProtocol();
        var transport = new Duplex(_toServer.Reader, _toClient.Writer);
        var application = new Duplex(_toClient.Reader, _toServer.Writer);
        var context = new DefaultConnectionContext(Guid.NewGuid().ToString("N"), transport, application);
        var options = new HubConnectionContextOptions { KeepAliveInterval = TimeSpan.FromMinutes(5), ClientTimeoutInterval = TimeSpan.FromMinutes(10) };
        Connection = failWrites
            ? new FailingConnectionContext(context, options) { Protocol = _protocol, UserIdentifier = userId }
            : new HubConnectionContext(context, options, NullLoggerFactory.Instance) { Protocol = _protocol, UserIdentifier = userId };
    }

    public HubConnectionContext Connection { get; }

    public string Id => Connection.ConnectionId;

    /// <summary>The next message, waiting for it (with a timeout).</summary>
    public async Task<HubMessage> ReadAsync(TimeSpan? timeout = null)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(timeout ?? DefaultTimeout);
        var reader = _toClient.Reader;
        while (true)
        {
            ReadResult result;
            try
            {
                result = await reader.ReadAsync(cts.Token);
            }
            catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"Connection {Id} received nothing within {(timeout ?? DefaultTimeout).TotalSeconds} s.");
            }

            var buffer = result.Buffer;
            if (_protocol.TryParseMessage(ref buffer, Binder.Instance, out var message))
            {
                reader.AdvanceTo(buffer.Start);
                return message;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                throw new InvalidOperationException("The connection's output completed.");
            }
        }
    }

    public async Task<InvocationMessage> ReadInvocationAsync(TimeSpan? timeout = null)
        => Assert.IsType<InvocationMessage>(await ReadAsync(timeout));

    /// <summary>A message already written, or null: only meaningful once delivery is known to be over (see witnesses).</summary>
    public HubMessage? TryRead()
    {
        if (!_toClient.Reader.TryRead(out var result))
        {
            return null;
        }

        var buffer = result.Buffer;
        if (_protocol.TryParseMessage(ref buffer, Binder.Instance, out var message))
        {
            _toClient.Reader.AdvanceTo(buffer.Start);
            return message;
        }

        _toClient.Reader.AdvanceTo(buffer.Start, buffer.End);
        return null;
    }

    public void Dispose()
    {
        Connection.Abort();
        _toClient.Writer.Complete();
        _toServer.Writer.Complete();
    }

    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    /// <summary>Every test message carries one string argument.</summary>
    private sealed class Binder : IInvocationBinder
    {
        public static readonly Binder Instance = new();

        public IReadOnlyList<Type> GetParameterTypes(string methodName) => [typeof(string)];

        public Type GetReturnType(string invocationId) => typeof(object);

        public Type GetStreamItemType(string streamId) => typeof(object);
    }

    private sealed class FailingConnectionContext(ConnectionContext context, HubConnectionContextOptions options)
        : HubConnectionContext(context, options, NullLoggerFactory.Instance)
    {
        public override ValueTask WriteAsync(HubMessage message, CancellationToken cancellationToken = default)
            => throw new InvalidOperationException("This connection fails every write.");

        public override ValueTask WriteAsync(SerializedHubMessage message, CancellationToken cancellationToken = default)
            => throw new InvalidOperationException("This connection fails every write.");
    }
}
