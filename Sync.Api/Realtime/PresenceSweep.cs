using Microsoft.Extensions.Options;

namespace Sync.Api.Realtime;

/// <summary>
/// Expires presence and voice peers whose heartbeats stopped, so that the connections of a dead server vanish too,
/// releases what the members who left held, and tells their rooms.
/// </summary>
internal sealed partial class PresenceSweep(PresenceStore presence, RoomService rooms, IOptions<SyncOptions> options, TimeProvider time, ILogger<PresenceSweep> logger)
    : PeriodicDuty(time, logger)
{
    protected override string Name => "presence-sweep";

    protected override TimeSpan Interval => options.Value.SweepInterval;

    protected override async Task RunOnceAsync(CancellationToken cancellationToken)
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

        foreach (var room in (await presence.SweepVoiceAsync()).Select(e => e.RoomId).Distinct(StringComparer.Ordinal))
        {
            await rooms.BroadcastVoiceAsync(room);
        }
    }

    [LoggerMessage(LogLevel.Information, "{Count} connection(s) of room {RoomId} missed their heartbeats and left presence")]
    private static partial void LogExpired(ILogger logger, int count, string roomId);
}
