using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Sync.Api.Playback;

namespace Sync.Api.Realtime;

/// <summary>
/// Background duties every instance shares: expire presence and voice peers whose heartbeats stopped (so the
/// connections of a dead server vanish too), end buffering waits at their deadline, copy timelines to PostgreSQL,
/// and after a backplane outage or Redis failover push the stored timeline to this instance's clients.
/// </summary>
/// <remarks>
/// The backplane shares the service's multiplexer, so its outages are the multiplexer's: StackExchange.Redis raises
/// <see cref="IConnectionMultiplexer.ConnectionRestored"/> when a connection is back (the subscription connection
/// after it resubscribed, so the backplane's channels are live again) and
/// <see cref="IConnectionMultiplexer.ConfigurationChanged"/> when it found a new master. Pub/sub is at-most-once:
/// whatever the backplane carried meanwhile may be lost, so the stored timeline is pushed again.
/// </remarks>
internal sealed partial class RoomMaintenance(
    PresenceStore presence,
    TimelineStore timelines,
    RoomService rooms,
    LocalConnections local,
    IConnectionMultiplexer redis,
    IHubContext<SyncHub, ISyncClient> hub,
    IOptions<SyncOptions> options,
    TimeProvider time,
    ILogger<RoomMaintenance> logger) : BackgroundService
{
    private int _resyncPending;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        redis.ConnectionRestored += OnConnectionRestored;
        redis.ConfigurationChanged += OnConfigurationChanged;
        try
        {
            var lastFlush = time.GetTimestamp();
            using var timer = new PeriodicTimer(options.Value.SweepInterval, time);
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                // Sweeps run twice a second on every instance: not traced, or their Redis commands would bury the
                // requests of users (see UntracedWork).
                using var untraced = UntracedWork.Start("room-maintenance");
                await Guarded(SweepPresenceAsync);
                await Guarded(SweepVoiceAsync);
                await Guarded(EndDueWaitsAsync);
                if (Interlocked.Exchange(ref _resyncPending, 0) == 1 && !await Guarded(ResyncAsync))
                {
                    RequestResync();
                }

                if (time.GetElapsedTime(lastFlush) >= options.Value.TimelinePersistInterval)
                {
                    lastFlush = time.GetTimestamp();
                    await Guarded(() => timelines.FlushAsync(stoppingToken));
                    timelines.ForgetIdle(options.Value.RoomStateIdleAfter);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            redis.ConnectionRestored -= OnConnectionRestored;
            redis.ConfigurationChanged -= OnConfigurationChanged;
            await Guarded(() => timelines.FlushAsync(CancellationToken.None));
        }
    }

    // Raised on StackExchange.Redis's threads: only flag it; the loop does the work (and retries if Redis is still shaky).
    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e) => RequestResync();

    // A failover may have lost the last writes the backplane carried: resynchronise even if no connection dropped.
    private void OnConfigurationChanged(object? sender, EndPointEventArgs e) => RequestResync();

    public void RequestResync() => Volatile.Write(ref _resyncPending, 1);

    private async Task SweepPresenceAsync()
    {
        var expired = await presence.SweepPresenceAsync();
        foreach (var room in expired.GroupBy(e => e.RoomId, StringComparer.Ordinal))
        {
            LogExpired(logger, room.Count(), room.Key);
            var still = (await presence.ListAsync(room.Key)).Values.Select(e => e.UserId).ToHashSet();
            foreach (var gone in room.Select(e => SyncJson.Deserialize<PresenceEntry>(e.Json).UserId).Distinct().Where(u => !still.Contains(u)))
            {
                await rooms.ReleaseAsync(room.Key, gone);
            }

            await rooms.BroadcastMembersAsync(room.Key);
        }
    }

    private async Task SweepVoiceAsync()
    {
        foreach (var room in (await presence.SweepVoiceAsync()).Select(e => e.RoomId).Distinct(StringComparer.Ordinal))
        {
            await rooms.BroadcastVoiceAsync(room);
        }
    }

    private async Task EndDueWaitsAsync()
    {
        foreach (var roomId in await timelines.DueWaitsAsync())
        {
            var context = await rooms.ContextAsync(roomId);
            var result = await timelines.UpdateAsync(roomId, null,
                t => t.Waiting is { } w && w.DeadlineServerMs <= context.NowMs ? TimelineRules.EndWait(t, context) : t);
            if (result.Waiting is null)
            {
                await timelines.ForgetWaitAsync(roomId);
            }
        }
    }

    private async Task ResyncAsync()
    {
        foreach (var room in local.ByRoom())
        {
            var timeline = await timelines.GetAsync(room.Key);
            var clients = hub.Clients.Clients(room.ToList());
            await clients.TimelineChanged(timeline);
            await clients.ResyncRequested();
            LogResynced(logger, room.Key, room.Count(), timeline.Seq);
        }
    }

    private async Task<bool> Guarded(Func<Task> work)
    {
        try
        {
            await work();
            return true;
        }
        catch (Exception ex) when (SyncHub.IsInfrastructure(ex) || ex is SyncException)
        {
            LogSweepFailed(logger, ex.Message);
            return false;
        }
    }

    [LoggerMessage(LogLevel.Information, "{Count} connection(s) of room {RoomId} missed their heartbeats and left presence")]
    private static partial void LogExpired(ILogger logger, int count, string roomId);

    [LoggerMessage(LogLevel.Information, "Resynchronised {Connections} connection(s) of room {RoomId} at seq {Seq}")]
    private static partial void LogResynced(ILogger logger, string roomId, int connections, long seq);

    [LoggerMessage(LogLevel.Warning, "Room maintenance step failed, will retry: {Reason}")]
    private static partial void LogSweepFailed(ILogger logger, string reason);
}

