using System.Net;
using System.Net.Sockets;

namespace Platform.Hosting.Orchestration;

/// <summary>
/// The stable endpoint in front of a replicated resource: accepts on one port and forwards each connection to the
/// next running replica (round robin), skipping replicas that refuse the connection.
/// </summary>
internal sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Func<IReadOnlyList<int>> _backends;
    private readonly CancellationTokenSource _cts = new();
    private readonly Task _acceptLoop;
    private int _next;

    public TcpProxy(int port, Func<IReadOnlyList<int>> backends)
    {
        _backends = backends;
        _listener = new TcpListener(IPAddress.Loopback, port);
        try
        {
            _listener.Start(512);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            throw new DistributedApplicationException($"Port {port} is already in use by another process.", ex);
        }

        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = AcceptLoopAsync();
    }

    public int Port { get; }

    private async Task AcceptLoopAsync()
    {
        while (!_cts.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_cts.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = HandleAsync(client);
        }
    }

    private async Task HandleAsync(Socket client)
    {
        using (client)
        {
            client.NoDelay = true;
            using var upstream = await ConnectUpstreamAsync().ConfigureAwait(false);
            if (upstream is null)
            {
                return;
            }

            await using var a = new NetworkStream(client, ownsSocket: false);
            await using var b = new NetworkStream(upstream, ownsSocket: false);
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(_cts.Token);
            var up = PumpAsync(a, b, upstream, cts.Token);
            var down = PumpAsync(b, a, client, cts.Token);
            await Task.WhenAny(up, down).ConfigureAwait(false);
            // One side finished: give the other a moment to drain its half, then tear both down.
            await Task.WhenAny(Task.WhenAll(up, down), Task.Delay(TimeSpan.FromSeconds(30), cts.Token)).ConfigureAwait(false);
            await cts.CancelAsync().ConfigureAwait(false);
        }
    }

    private async Task<Socket?> ConnectUpstreamAsync()
    {
        var backends = _backends();
        for (var attempt = 0; attempt < backends.Count; attempt++)
        {
            var port = backends[(int)((uint)Interlocked.Increment(ref _next) % (uint)backends.Count)];
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(IPAddress.Loopback, port, _cts.Token).ConfigureAwait(false);
                return socket;
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                socket.Dispose();
            }
        }

        return null;
    }

    private static async Task PumpAsync(Stream from, Stream to, Socket toSocket, CancellationToken cancellationToken)
    {
        try
        {
            await from.CopyToAsync(to, 64 * 1024, cancellationToken).ConfigureAwait(false);
            toSocket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _cts.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        await _acceptLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _cts.Dispose();
    }
}
