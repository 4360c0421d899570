using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using Platform.Redis;
using Platform.SignalR.Redis;
using Sync.Api.Playback;

namespace Sync.Api.Realtime;

/// <summary>
/// Background duties every instance shares: expire presence and voice peers whose heartbeats stopped (so the
/// connections of a dead server vanish too), end buffering waits at their deadline, copy timelines to PostgreSQL,
/// and after a backplane outage or Redis failover push the stored timeline to this instance's clients.
/// </summary>
internal sealed partial class RoomMaintenance(
    PresenceStore presence,
    TimelineStore timelines,
    RoomService rooms,
    LocalConnections local,
    IBackplaneEvents backplane,
    IConnectionMultiplexer redis,
    IHubContext<SyncHub, ISyncClient> hub,
    IOptions<SyncOptions> options,
    TimeProvider time,
    ILogger<RoomMaintenance> logger) : BackgroundService
{
    private int _resyncPending;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        backplane.Resynchronize += OnResynchronize;
        redis.MasterChanged += OnMasterChanged;
        try
        {
            var lastFlush = time.GetTimestamp();
            using var timer = new PeriodicTimer(options.Value.SweepInterval, time);
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
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
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            backplane.Resynchronize -= OnResynchronize;
            redis.MasterChanged -= OnMasterChanged;
            await Guarded(() => timelines.FlushAsync(CancellationToken.None));
        }
    }

    // Raised on the backplane's thread: only flag it; the loop does the work (and retries if Redis is still shaky).
    private void OnResynchronize(object? sender, BackplaneResynchronizeEventArgs e)
    {
        if (e.HubType == typeof(SyncHub))
        {
            Volatile.Write(ref _resyncPending, 1);
        }
    }

    // A failover may have lost the last writes the backplane carried: resynchronise even if the backplane did not notice.
    private void OnMasterChanged(object? sender, EndPointEventArgs e) => RequestResync();

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
