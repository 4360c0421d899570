using System.Net;

namespace Platform.Redis;

public enum When
{
    Always,
    Exists,
    NotExists,
}

[Flags]
public enum Exclude
{
    None = 0,
    Start = 1,
    Stop = 2,
    Both = Start | Stop,
}

public enum Order
{
    Ascending,
    Descending,
}

[Flags]
public enum CommandFlags
{
    None = 0,

    /// <summary>Do not wait for the reply; the returned task completes with the default value once written.</summary>
    FireAndForget = 2,

    /// <summary>Fail immediately instead of waiting for a reconnect.</summary>
    FailFast = 4,
}

public readonly record struct HashEntry(RedisValue Name, RedisValue Value);

public readonly record struct SortedSetEntry(RedisValue Element, double Score);

public enum ConnectionFailureType
{
    None,
    UnableToConnect,
    SocketFailure,
    SocketClosed,
    ProtocolFailure,
    AuthenticationFailure,
    ConnectionDisposed,
    MasterChanged,
    HeartbeatTimeout,
}

public enum ConnectionType
{
    Interactive,
    Subscription,
}

public sealed class ConnectionFailedEventArgs(EndPoint? endPoint, ConnectionType connectionType, ConnectionFailureType failureType, Exception? exception)
    : EventArgs
{
    public EndPoint? EndPoint { get; } = endPoint;

    public ConnectionType ConnectionType { get; } = connectionType;

    public ConnectionFailureType FailureType { get; } = failureType;

    public Exception? Exception { get; } = exception;
}

public sealed class EndPointEventArgs(EndPoint? endPoint) : EventArgs
{
    public EndPoint? EndPoint { get; } = endPoint;
}

/// <summary>An error reply from the server; the message is the server's text.</summary>
public class RedisServerException(string message) : Exception(message);

/// <summary>The connection failed or is unavailable.</summary>
public class RedisConnectionException : Exception
{
    public RedisConnectionException(ConnectionFailureType failureType, string message, Exception? inner = null)
        : base(message, inner) => FailureType = failureType;

    public ConnectionFailureType FailureType { get; }
}

/// <summary>A command did not complete within its timeout.</summary>
public class RedisTimeoutException(string message) : TimeoutException(message);
