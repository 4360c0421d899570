using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Sync.Api.Playback;

/// <summary>
/// Group commit for Redis <c>WAIT</c>: callers that wrote something join the next WAIT, and at most one is in flight,
/// so a busy instance pays one replica round trip per batch of timeline changes rather than one per change (WAIT also
/// holds up every other command queued on the shared connection while it runs). A WAIT sent after a caller's write on
/// the same connection covers that write. With no replica answering, waiting is skipped for a few seconds.
/// </summary>
public sealed partial class ReplicaBarrier(IConnectionMultiplexer redis, IOptions<SyncOptions> options, ILogger<ReplicaBarrier> logger)
{
    private readonly Lock _lock = new();
    private TaskCompletionSource? _queued;
    private bool _pumping;
    private long _skipUntil;

    public Task ReplicatedAsync()
    {
        if (options.Value.TimelineReplicaAcks <= 0 || Environment.TickCount64 < Interlocked.Read(ref _skipUntil))
        {
            return Task.CompletedTask;
        }

        lock (_lock)
        {
            _queued ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_pumping)
            {
                _pumping = true;
                _ = Task.Run(PumpAsync);
            }

            return _queued.Task;
        }
    }

    private async Task PumpAsync()
    {
        while (true)
        {
            TaskCompletionSource batch;
            lock (_lock)
            {
                if (_queued is null)
                {
                    _pumping = false;
                    return;
                }

                batch = _queued;
                _queued = null;
            }

            var wanted = options.Value.TimelineReplicaAcks;
            try
            {
                var acks = (long)await redis.GetDatabase().ExecuteAsync("WAIT", wanted, (long)options.Value.TimelineReplicaAckTimeout.TotalMilliseconds);
                if (acks < wanted)
                {
                    Interlocked.Exchange(ref _skipUntil, Environment.TickCount64 + 5_000);
                    LogReplicaAcks(logger, acks, wanted);
                }
            }
            catch (Exception ex) when (ex is RedisException or RedisTimeoutException)
            {
                // Best effort: the write itself succeeded; a failover now is what the resync handles.
                LogReplicaAcks(logger, -1, wanted);
            }

            batch.SetResult();
        }
    }

    [LoggerMessage(LogLevel.Warning, "Timeline changes acknowledged by {Acks} of {Wanted} replicas; not waiting for replicas for 5 s")]
    private static partial void LogReplicaAcks(ILogger logger, long acks, int wanted);
}
