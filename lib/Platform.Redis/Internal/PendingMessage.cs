using System.Diagnostics;
using Platform.Redis.Protocol;

namespace Platform.Redis.Internal;

/// <summary>A command waiting for its reply, in the connection's in-order queue.</summary>
internal interface IPendingMessage
{
    string CommandName { get; }

    long StartTimestamp { get; }

    long Deadline { get; }

    bool IsCompleted { get; }

    /// <summary>Consumes exactly one reply value.</summary>
    void Complete(ref RespReader reader);

    void Fail(Exception exception);
}

/// <summary>The message is its own completion source (one allocation besides the task). Continuations always run
/// asynchronously, so user code never runs on the socket reader loop.</summary>
internal sealed class PendingMessage<T> : TaskCompletionSource<T>, IPendingMessage
{
    private readonly ResultProcessor<T> _processor;
    private Activity? _activity;

    public PendingMessage(string commandName, ResultProcessor<T> processor, int timeoutMs)
        : base(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        CommandName = commandName;
        _processor = processor;
        StartTimestamp = Stopwatch.GetTimestamp();
        Deadline = StartTimestamp + (timeoutMs * Stopwatch.Frequency / 1000);
        if (RedisTelemetry.Source.HasListeners())
        {
            _activity = RedisTelemetry.StartCommand(commandName);
        }
    }

    public string CommandName { get; }

    public long StartTimestamp { get; }

    public long Deadline { get; }

    public bool IsCompleted => Task.IsCompleted;

    /// <summary>Nobody awaits this task (heartbeat, SELECT, MULTI, fire-and-forget): mark failures observed.</summary>
    public bool Unobserved { get; set; }

    /// <summary>Invoked for READONLY and similar errors so the owner can react (e.g. rediscover the master).</summary>
    public Action<RedisServerException>? OnServerError { get; set; }

    public void Complete(ref RespReader reader)
    {
        try
        {
            var value = _processor.Parse(ref reader);
            if (TrySetResult(value))
            {
                Finish(null);
            }
        }
        catch (Exception e) when (e is RedisServerException or InvalidCastException or FormatException or OverflowException or RedisProtocolException)
        {
            if (e is RedisServerException se)
            {
                OnServerError?.Invoke(se);
                e = RoleError.Classify(se);
            }

            if (TrySetException(e))
            {
                Finish(e);
            }
        }

        Observe();
    }

    private void Observe()
    {
        if (Unobserved && Task.IsFaulted)
        {
            _ = Task.Exception;
        }
    }

    public void Fail(Exception exception)
    {
        if (TrySetException(exception))
        {
            Finish(exception);
        }

        Observe();
    }

    private void Finish(Exception? error)
    {
        RedisTelemetry.RecordCommand(CommandName, StartTimestamp, error);
        if (_activity is { } a)
        {
            if (error is not null)
            {
                a.SetStatus(ActivityStatusCode.Error, error.GetType().Name);
            }

            a.Dispose();
            _activity = null;
        }
    }
}

/// <summary>
/// Replies that mean "this server cannot take the command now because of its role" rather than "the command is wrong":
/// a demoted master (READONLY), a replica that lost its master (MASTERDOWN) or one still loading its data (LOADING).
/// The command was not executed, and during a failover they are as transient as a dropped socket, so they surface as
/// <see cref="RedisConnectionException"/> (the server's reply is the inner exception) and callers' retry and 503 paths
/// handle them like any other outage instead of reporting a bug.
/// </summary>
internal static class RoleError
{
    public static Exception Classify(RedisServerException error) =>
        error.Message.StartsWith("READONLY", StringComparison.Ordinal) ||
        error.Message.StartsWith("MASTERDOWN", StringComparison.Ordinal) ||
        error.Message.StartsWith("LOADING", StringComparison.Ordinal)
            ? new RedisConnectionException(ConnectionFailureType.MasterChanged,
                $"The server refused the command because of its role ({error.Message}); it was not executed. " +
                "A failover is under way: retry once the client has followed the new master.", error)
            : error;
}
