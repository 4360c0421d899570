using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;
using Sync.Api.Playback;

namespace Sync.Api.Realtime;

/// <summary>
/// Sends committed timelines to their rooms in commit order without holding up the next command: one loop takes every
/// change committed so far, waits once for a replica to acknowledge them all (<see cref="ReplicaBarrier"/>), then starts
/// their sends in order. The command that made a change completes when its send has been handed to every connection.
/// </summary>
public sealed class TimelineOutbox : ITimelineBroadcast, IDisposable
{
    private readonly Channel<(Timeline Timeline, TaskCompletionSource Done)> _queue =
        Channel.CreateUnbounded<(Timeline, TaskCompletionSource)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly IHubContext<SyncHub, ISyncClient> _hub;
    private readonly ReplicaBarrier _replicas;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _pump;
    private int _disposed;

    public TimelineOutbox(IHubContext<SyncHub, ISyncClient> hub, ReplicaBarrier replicas)
    {
        _hub = hub;
        _replicas = replicas;
        _pump = Task.Run(PumpAsync);
    }

    /// <summary>Called in commit order (under the room's gate); completes once the change is on its way to everyone.</summary>
    public Task EnqueueAsync(Timeline timeline)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite((timeline, done)))
        {
            done.SetException(new ObjectDisposedException(nameof(TimelineOutbox)));
        }

        return done.Task;
    }

    private async Task PumpAsync()
    {
        var batch = new List<(Timeline Timeline, TaskCompletionSource Done)>();
        try
        {
            while (await _queue.Reader.WaitToReadAsync(_stop.Token))
            {
                batch.Clear();
                while (_queue.Reader.TryRead(out var item))
                {
                    batch.Add(item);
                }

                await _replicas.ReplicatedAsync();
                foreach (var (timeline, done) in batch)
                {
                    // Started in order (each connection's writes queue in order); awaited by the command, not here.
                    Complete(_hub.Clients.Group(timeline.RoomId).TimelineChanged(timeline), done);
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    private static void Complete(Task send, TaskCompletionSource done) =>
        send.ContinueWith(t =>
        {
            if (t.Exception is { } ex)
            {
                done.TrySetException(ex.InnerExceptions);
            }
            else
            {
                done.TrySetResult();
            }
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    // Registered as itself and as ITimelineBroadcast, so the container disposes it twice.
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _queue.Writer.TryComplete();
        _stop.Cancel();
        _pump.Wait(TimeSpan.FromSeconds(5));
        _stop.Dispose();
    }
}
