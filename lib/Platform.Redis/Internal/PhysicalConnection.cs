using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Platform.Redis.Protocol;

namespace Platform.Redis.Internal;

/// <summary>
/// One socket. Writers encode straight into an outbound pipe under a short lock and enqueue their message in the same
/// critical section, so queue order is wire order; a send loop drains the pipe, which coalesces whatever concurrent
/// callers wrote meanwhile into one socket write. A read loop matches complete frames to the queue in order.
/// </summary>
internal sealed partial class PhysicalConnection : IDisposable
{
    private static readonly PipeOptions OutboundOptions = new(pauseWriterThreshold: 0, resumeWriterThreshold: 0,
        minimumSegmentSize: 16 * 1024, useSynchronizationContext: false);

    private static readonly CommandName Ping = new("PING");
    private static readonly CommandName Select = new("SELECT");

    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly Pipe _outbound = new(OutboundOptions);
    private readonly ConcurrentQueue<IPendingMessage> _pending = new();
    private readonly Lock _writeLock = new();
    private readonly Timer _timer;
    private readonly long _keepAliveTicks;
    private readonly bool _useSocketSend;
    private int _currentDb;
    private long _lastRead;
    private long _lastWrite;
    private int _failed;

    private PhysicalConnection(Socket socket, Stream stream, DnsEndPoint endPoint, ConnectionType type, ConfigurationOptions options, bool useSocketSend)
    {
        _socket = socket;
        _stream = stream;
        _useSocketSend = useSocketSend;
        EndPoint = endPoint;
        Type = type;
        Options = options;
        _keepAliveTicks = options.KeepAlive * Stopwatch.Frequency;
        _lastRead = _lastWrite = Stopwatch.GetTimestamp();
        _currentDb = 0;
        _timer = new Timer(static s => ((PhysicalConnection)s!).OnTimer(), this, 250, 250);
    }

    public DnsEndPoint EndPoint { get; }

    public ConnectionType Type { get; }

    public ConfigurationOptions Options { get; }

    public int Protocol { get; private set; } = 2;

    public bool IsFailed => Volatile.Read(ref _failed) != 0;

    /// <summary>Raised once, from whichever thread saw the failure.</summary>
    public event Action<PhysicalConnection, ConnectionFailureType, Exception>? Failed;

    /// <summary>Pub/sub frames: (kind, channel-or-pattern, channel, payload).</summary>
    public Action<string, RedisValue, RedisValue, RedisValue>? PushHandler { get; set; }

    public static async Task<PhysicalConnection> ConnectAsync(DnsEndPoint endPoint, ConnectionType type, ConfigurationOptions options,
        bool isSentinel, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(options.ConnectTimeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        PhysicalConnection? connection = null;
        try
        {
            await socket.ConnectAsync(endPoint, cts.Token).ConfigureAwait(false);
            Stream stream = new NetworkStream(socket, ownsSocket: false);
            if (options.Ssl)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = options.SslHost ?? endPoint.Host }, cts.Token)
                    .ConfigureAwait(false);
                stream = ssl;
            }

            connection = new PhysicalConnection(socket, stream, endPoint, type, options, useSocketSend: !options.Ssl);
            connection.Start();
            await connection.HandshakeAsync(isSentinel, cts.Token).ConfigureAwait(false);
            return connection;
        }
        catch (Exception e)
        {
            var failure = e is RedisServerException ? ConnectionFailureType.AuthenticationFailure : ConnectionFailureType.UnableToConnect;
            var message = e is OperationCanceledException && !ct.IsCancellationRequested
                ? $"connecting to {Format(endPoint)} timed out after {options.ConnectTimeout} ms"
                : $"connecting to {Format(endPoint)} failed: {e.Message}";
            var error = new RedisConnectionException(failure, message, e);
            if (connection is not null)
            {
                connection.Fail(failure, error);
            }
            else
            {
                socket.Dispose();
            }

            throw error;
        }
    }

    internal static string Format(DnsEndPoint ep) => $"{ep.Host}:{ep.Port}";

    private void Start()
    {
        _ = Task.Run(SendLoopAsync);
        _ = Task.Run(ReadLoopAsync);
    }

    /// <summary>Writes one command; false when this connection has failed (the caller retries elsewhere).</summary>
    public bool TryWrite(in CommandArgs args, IPendingMessage message, int db)
    {
        lock (_writeLock)
        {
            if (IsFailed)
            {
                return false;
            }

            var writer = new RespWriter(_outbound.Writer);
            SelectDatabase(ref writer, db);
            args.Write(ref writer);
            _pending.Enqueue(message);
            Flush();
        }

        return true;
    }

    /// <summary>Writes several commands in one go, none interleaved with other callers' commands.</summary>
    public bool TryWriteMany(ReadOnlySpan<(CommandArgs Args, IPendingMessage Message)> commands, int db)
    {
        lock (_writeLock)
        {
            if (IsFailed)
            {
                return false;
            }

            var writer = new RespWriter(_outbound.Writer);
            SelectDatabase(ref writer, db);
            foreach (var (args, message) in commands)
            {
                args.Write(ref writer);
                _pending.Enqueue(message);
            }

            Flush();
        }

        return true;
    }

    private void SelectDatabase(ref RespWriter writer, int db)
    {
        if (db < 0 || db == _currentDb)
        {
            return;
        }

        new CommandArgs(Select, db).Write(ref writer);
        _pending.Enqueue(new PendingMessage<bool>("SELECT", Processors.Ok, Options.EffectiveAsyncTimeout) { Unobserved = true });
        _currentDb = db;
    }

    private void Flush()
    {
        // pauseWriterThreshold is 0, so this never waits: it only publishes the bytes to the send loop.
        var flush = _outbound.Writer.FlushAsync();
        if (!flush.IsCompleted)
        {
            _ = flush.AsTask();
        }
    }

    private async Task SendLoopAsync()
    {
        var reader = _outbound.Reader;
        var segments = new List<ArraySegment<byte>>();
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                if (!buffer.IsEmpty)
                {
                    await WriteToSocketAsync(buffer, segments).ConfigureAwait(false);
                    Volatile.Write(ref _lastWrite, Stopwatch.GetTimestamp());
                }

                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            Fail(ConnectionFailureType.SocketFailure, new RedisConnectionException(ConnectionFailureType.SocketFailure,
                $"writing to {Format(EndPoint)} failed: {e.Message}", e));
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    private async ValueTask WriteToSocketAsync(ReadOnlySequence<byte> buffer, List<ArraySegment<byte>> segments)
    {
        if (!_useSocketSend)
        {
            foreach (var segment in buffer)
            {
                await _stream.WriteAsync(segment).ConfigureAwait(false);
            }

            await _stream.FlushAsync().ConfigureAwait(false);
            return;
        }

        if (buffer.IsSingleSegment)
        {
            var memory = buffer.First;
            while (!memory.IsEmpty)
            {
                var n = await _socket.SendAsync(memory, SocketFlags.None).ConfigureAwait(false);
                memory = memory[n..];
            }

            return;
        }

        // Gather write of every pooled segment in one system call.
        segments.Clear();
        var total = 0L;
        foreach (var segment in buffer)
        {
            segments.Add(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(segment, out var array) ? array : segment.ToArray());
            total += segment.Length;
        }

        var sent = await _socket.SendAsync(segments, SocketFlags.None).ConfigureAwait(false);
        if (sent < total)
        {
            foreach (var segment in buffer.Slice(sent))
            {
                var memory = segment;
                while (!memory.IsEmpty)
                {
                    var n = await _socket.SendAsync(memory, SocketFlags.None).ConfigureAwait(false);
                    memory = memory[n..];
                }
            }
        }
    }

    /// <summary>Fails the connection once: closes the socket and fails every queued message.</summary>
    public void Fail(ConnectionFailureType type, Exception exception)
    {
        if (Interlocked.Exchange(ref _failed, 1) != 0)
        {
            return;
        }

        lock (_writeLock)
        {
            _outbound.Writer.Complete();
        }

        _timer.Dispose();
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }

        _socket.Dispose();
        _stream.Dispose();
        var error = exception as RedisConnectionException
            ?? new RedisConnectionException(type, $"connection to {Format(EndPoint)} failed: {exception.Message}", exception);
        while (_pending.TryDequeue(out var m))
        {
            m.Fail(error);
        }

        Failed?.Invoke(this, type, error);
    }

    public void Dispose() => Fail(ConnectionFailureType.ConnectionDisposed,
        new RedisConnectionException(ConnectionFailureType.ConnectionDisposed, "the connection was disposed"));

    private void OnTimer()
    {
        if (IsFailed)
        {
            return;
        }

        var now = Stopwatch.GetTimestamp();
        foreach (var m in _pending)
        {
            if (m.IsCompleted)
            {
                continue;
            }

            if (m.Deadline > now)
            {
                break;
            }

            // The reply still arrives later and is matched to this message, which just ignores it.
            m.Fail(new RedisTimeoutException($"Timeout awaiting reply to {m.CommandName} from {Format(EndPoint)} " +
                $"after {Options.EffectiveAsyncTimeout} ms ({_pending.Count} pending)"));
        }

        var lastRead = Volatile.Read(ref _lastRead);
        if (_pending.TryPeek(out var oldest) && now - oldest.StartTimestamp > 2 * _keepAliveTicks && now - lastRead > 2 * _keepAliveTicks)
        {
            Fail(ConnectionFailureType.HeartbeatTimeout, new RedisConnectionException(ConnectionFailureType.HeartbeatTimeout,
                $"no reply from {Format(EndPoint)} for {2 * Options.KeepAlive} s; the connection is considered dead"));
            return;
        }

        if (now - Volatile.Read(ref _lastWrite) > _keepAliveTicks && now - lastRead > _keepAliveTicks)
        {
            Volatile.Write(ref _lastWrite, now);
            TryWrite(new CommandArgs(Ping), new PendingMessage<RedisResult>("PING", Processors.Result, Options.EffectiveAsyncTimeout) { Unobserved = true }, -1);
        }
    }
}
