using System.Net;

namespace Platform.Redis;

/// <summary>One multiplexed, auto-pipelined interactive connection plus one subscriber connection, shared by the
/// whole process.</summary>
public interface IConnectionMultiplexer : IAsyncDisposable, IDisposable
{
    bool IsConnected { get; }

    /// <summary>The master (or the single server) currently in use.</summary>
    EndPoint? CurrentEndPoint { get; }

    IDatabase GetDatabase(int db = -1);

    ISubscriber GetSubscriber();

    event EventHandler<ConnectionFailedEventArgs>? ConnectionFailed;

    event EventHandler<ConnectionFailedEventArgs>? ConnectionRestored;

    /// <summary>Raised when Sentinel announces (or a reconnect discovers) a new master.</summary>
    event EventHandler<EndPointEventArgs>? MasterChanged;

    /// <summary>Raised after every automatic resubscribe; pub/sub is at-most-once, so resynchronise from keys here.</summary>
    event EventHandler? SubscriptionsRestored;
}
