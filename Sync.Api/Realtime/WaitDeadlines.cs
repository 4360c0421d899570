using Microsoft.Extensions.Options;
using Sync.Api.Playback;

namespace Sync.Api.Realtime;

/// <summary>Ends a room's buffering wait (seek, stall, first load) at its deadline, whichever instance set it.</summary>
internal sealed class WaitDeadlines(TimelineStore timelines, RoomService rooms, IOptions<SyncOptions> options, TimeProvider time, ILogger<WaitDeadlines> logger)
    : PeriodicDuty(time, logger)
{
    protected override string Name => "wait-deadlines";

    protected override TimeSpan Interval => options.Value.SweepInterval;

    protected override async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        foreach (var roomId in await timelines.DueWaitsAsync())
        {
            var context = await rooms.ContextAsync(roomId);
            var result = await timelines.UpdateAsync(roomId, null,
                t => t.Waiting is { } w && w.DeadlineServerMs <= context.NowMs ? TimelineRules.EndWait(t, context) : t, cancellationToken);
            if (result.Waiting is null)
            {
                await timelines.ForgetWaitAsync(roomId);
            }
        }
    }
}
