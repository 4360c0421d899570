using System.Net;
using System.Net.Sockets;

namespace Platform.Hosting.Orchestration;

internal sealed class PortAllocator
{
    private readonly HashSet<int> _given = [];
    private readonly Lock _lock = new();

    /// <summary>A free loopback port, never the same twice for one application.</summary>
    public int Next()
    {
        lock (_lock)
        {
            for (var attempt = 0; attempt < 100; attempt++)
            {
                using var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                listener.Stop();
                if (_given.Add(port))
                {
                    return port;
                }
            }

            throw new DistributedApplicationException("Could not find a free loopback port.");
        }
    }

    public void Reserve(int port)
    {
        lock (_lock)
        {
            _given.Add(port);
        }
    }

    public static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
