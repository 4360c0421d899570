using Sync.Api.Playback;
using Sync.Api.Rooms;

namespace Sync.Api.Realtime;

public sealed partial class SyncHub
{
    public Task<HubResult<Timeline>> Play(long? expectedSeq) => Control(expectedSeq, TimelineRules.Play);

    public Task<HubResult<Timeline>> Pause(long? expectedSeq) => Control(expectedSeq, TimelineRules.Pause, needsPresence: false);

    public Task<HubResult<Timeline>> Seek(long? expectedSeq, double positionMs) =>
        Control(expectedSeq, (t, c) => TimelineRules.Seek(t, c, positionMs));

    public Task<HubResult<Timeline>> SetSpeed(long? expectedSeq, double speed) =>
        Control(expectedSeq, (t, c) => TimelineRules.SetSpeed(t, c, speed), needsPresence: false);

    public Task<HubResult<Timeline>> ChangeMedia(long? expectedSeq, string url, string? title, long? durationMs)
    {
        // Validated before anything else so a bad URL is refused even when the room moved on.
        try
        {
            TimelineRules.ValidateMedia(url, title, durationMs);
        }
        catch (SyncException ex)
        {
            return Task.FromResult(HubResult<Timeline>.Fail(ex));
        }

        return Control(expectedSeq, (t, c) => TimelineRules.ChangeMedia(t, c, url, title, durationMs));
    }

    public Task<HubResult<Timeline>> PlayNext(long? expectedSeq) => Run(async () =>
    {
        var roomId = await DemandAsync("control", RoomAction.Control);
        var current = await timelines.GetAsync(roomId);
        if (expectedSeq is { } e && e != current.Seq)
        {
            throw new SyncException(ErrorCodes.Stale, $"The room is at seq {current.Seq}, not {e}.", current);
        }

        var item = await rooms.PopAsync(roomId, Context.ConnectionAborted)
            ?? throw new SyncException(ErrorCodes.InvalidArgument, "The queue is empty.", current);
        var context = await roomService.ContextAsync(roomId);
        var next = await timelines.UpdateAsync(roomId, null, t => TimelineRules.ChangeMedia(t, context, item.Url, item.Title, item.DurationMs));
        await roomService.BroadcastQueueAsync(roomId);
        return next;
    });

    public Task<HubResult<Timeline>> ReportReady(double positionMs) => Run(async () =>
    {
        var roomId = RequireRoom();
        await limiter.TakeAsync(UserId, "ready");
        var current = await timelines.GetAsync(roomId);
        if (current.Waiting is null)
        {
            throw new SyncException(ErrorCodes.NotWaiting, "The room is not waiting.", current);
        }

        var context = await roomService.ContextAsync(roomId);
        return await timelines.UpdateAsync(roomId, null, t => TimelineRules.Ready(t, context, UserId, positionMs));
    });

    public Task<HubResult<Timeline>> ReportBuffering(double positionMs) => Run(async () =>
    {
        var roomId = RequireRoom();
        await limiter.TakeAsync(UserId, "ready");
        if (((PresenceEntry)Context.Items[EntryItem]!).OptOut)
        {
            return await timelines.GetAsync(roomId);
        }

        var context = await roomService.ContextAsync(roomId);
        return await timelines.UpdateAsync(roomId, null, t => TimelineRules.Buffering(t, context, UserId));
    });

    public Task<HubResult<bool>> SetWaitOptOut(bool optOut) => Run(async () =>
    {
        var roomId = RequireRoom();
        var entry = (PresenceEntry)Context.Items[EntryItem]! with { OptOut = optOut };
        Context.Items[EntryItem] = entry;
        await presence.UpsertAsync(roomId, Context.ConnectionId, entry);
        if (optOut)
        {
            await roomService.ReleaseAsync(roomId, UserId);
        }

        await roomService.BroadcastMembersAsync(roomId);
        return true;
    });

    private Task<HubResult<Timeline>> Control(long? expectedSeq, Func<Timeline, TimelineRules.Context, Timeline> rule,
        bool needsPresence = true) => Run(async () =>
    {
        var roomId = await DemandAsync("control", RoomAction.Control);
        var context = await roomService.ContextAsync(roomId, needsPresence);
        return await timelines.UpdateAsync(roomId, expectedSeq, t => rule(t, context));
    });

    /// <summary>In a room, within the rate limit, and allowed: in that order, so each refusal says the first reason.</summary>
    private async Task<string> DemandAsync(string limit, RoomAction action)
    {
        var roomId = RequireRoom();
        await limiter.TakeAsync(UserId, limit);
        await access.DemandAsync(roomId, UserId, action, Context.ConnectionAborted);
        return roomId;
    }
}
