using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Sync.Api.Playback;

namespace Sync.Api.Realtime;

/// <summary>
/// After a backplane outage or a Redis failover, pushes each room's stored timeline to this instance's clients.
/// </summary>
/// <remarks>
/// The backplane shares the service's multiplexer, so its outages are the multiplexer's: StackExchange.Redis raises
/// <see cref="IConnectionMultiplexer.ConnectionRestored"/> when a connection is back (the subscription connection
/// after it resubscribed, so the backplane's channels are live again) and
/// <see cref="IConnectionMultiplexer.ConfigurationChanged"/> when it found a new master. Pub/sub is at-most-once:
/// whatever the backplane carried meanwhile may be lost, so the stored timeline is pushed again.
/// </remarks>
internal sealed partial class ReconnectResync(
    TimelineStore timelines,
    LocalConnections local,
    IConnectionMultiplexer redis,
    IHubContext<SyncHub, ISyncClient> hub,
    IOptions<SyncOptions> options,
    TimeProvider time,
    ILogger<ReconnectResync> logger) : PeriodicDuty(time, logger)
{
    private int _pending;

    protected override string Name => "reconnect-resync";

    protected override TimeSpan Interval => options.Value.SweepInterval;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionRestored += OnConnectionRestored;
        redis.ConfigurationChanged += OnConfigurationChanged;
        return base.StartAsync(cancellationToken);
    }

    public override Task StopAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionRestored -= OnConnectionRestored;
        redis.ConfigurationChanged -= OnConfigurationChanged;
        return base.StopAsync(cancellationToken);
    }

    protected override async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        // Still shaky: flagged again, so the next round tries again.
        if (Interlocked.Exchange(ref _pending, 0) == 1 && !await GuardedAsync(ResyncAsync))
        {
            Request();
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

    // Raised on StackExchange.Redis's threads: only flag it; the timer does the work.
    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e) => Request();

    // A failover may have lost the last writes the backplane carried: resynchronise even if no connection dropped.
    private void OnConfigurationChanged(object? sender, EndPointEventArgs e) => Request();

    private void Request() => Volatile.Write(ref _pending, 1);

    [LoggerMessage(LogLevel.Information, "Resynchronised {Connections} connection(s) of room {RoomId} at seq {Seq}")]
    private static partial void LogResynced(ILogger logger, string roomId, int connections, long seq);
}
