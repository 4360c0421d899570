using Microsoft.Extensions.Logging;

namespace Platform.SignalR.Redis;

internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Redis backplane for hub {Hub} started as server {ServerId}.")]
    public static partial void Started(ILogger logger, string hub, Guid serverId);

    [LoggerMessage(2, LogLevel.Warning, "Redis backplane for hub {Hub} lost Redis: messages to and from other servers are dropped until it is back (logged once per outage).")]
    public static partial void OutageStarted(ILogger logger, string hub, Exception? exception);

    [LoggerMessage(3, LogLevel.Warning, "Redis backplane for hub {Hub} resubscribed after {Seconds:0.0} s; {Dropped} messages for other servers were dropped. The application is told to resynchronise its clients.")]
    public static partial void Resubscribed(ILogger logger, string hub, double seconds, long dropped);

    [LoggerMessage(4, LogLevel.Error, "Redis backplane for hub {Hub} could not handle a message on {Channel}.")]
    public static partial void ReceiveFailed(ILogger logger, string hub, string channel, Exception exception);

    [LoggerMessage(5, LogLevel.Warning, "Writing to connection {ConnectionId} failed.")]
    public static partial void WriteFailed(ILogger logger, string connectionId, Exception exception);

    [LoggerMessage(6, LogLevel.Debug, "No server owns connection {ConnectionId}; group change for {Group} ignored.")]
    public static partial void GroupCommandNoOwner(ILogger logger, string connectionId, string group);

    [LoggerMessage(7, LogLevel.Debug, "Result for unknown invocation {InvocationId} from connection {ConnectionId} ignored (completed, canceled or timed out).")]
    public static partial void UnknownInvocation(ILogger logger, string invocationId, string connectionId);

    [LoggerMessage(8, LogLevel.Warning, "Unsubscribing from {Channel} failed.")]
    public static partial void UnsubscribeFailed(ILogger logger, string channel, Exception exception);

    [LoggerMessage(9, LogLevel.Error, "A backplane event handler of the application threw.")]
    public static partial void EventHandlerFailed(ILogger logger, Exception exception);

    [LoggerMessage(10, LogLevel.Information, "Redis backplane for hub {Hub} reconnected to Redis.")]
    public static partial void Reconnected(ILogger logger, string hub);
}
