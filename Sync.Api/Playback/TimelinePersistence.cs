using Microsoft.Extensions.Options;

namespace Sync.Api.Playback;

/// <summary>
/// Copies changed timelines to PostgreSQL (the copy a timeline evicted from Redis is rebuilt from), and drops what the
/// instance keeps of rooms that went idle; a last copy as the instance stops.
/// </summary>
internal sealed class TimelinePersistence(TimelineStore timelines, IOptions<SyncOptions> options, TimeProvider time, ILogger<TimelinePersistence> logger)
    : PeriodicDuty(time, logger)
{
    protected override string Name => "timeline-persistence";

    protected override TimeSpan Interval => options.Value.TimelinePersistInterval;

    protected override async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        await timelines.FlushAsync(cancellationToken);
        timelines.ForgetIdle(options.Value.RoomStateIdleAfter);
    }

    protected override Task StoppingAsync() => timelines.FlushAsync(CancellationToken.None);
}
