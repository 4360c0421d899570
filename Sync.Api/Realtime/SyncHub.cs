using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using Platform.Redis.Failover;
using Platform.Sessions;
using Sync.Api.Identity;
using Sync.Api.Playback;
using Sync.Api.Rooms;

namespace Sync.Api.Realtime;

/// <summary>
/// <c>/hubs/sync</c>. One room per connection (kept in <see cref="HubCallerContext.Items"/>). Every method answers
/// with a <see cref="HubResult{T}"/>: a refused command is a typed error that changed nothing, never a dropped connection.
/// </summary>
[Authorize(AuthenticationSchemes = SessionAuthentication.Scheme)]
public sealed partial class SyncHub(
    RoomStore rooms,
    RoomAccess access,
    RoomService roomService,
    TimelineStore timelines,
    PresenceStore presence,
    RoomRateLimits limiter,
    LocalConnections local,
    IOptions<SyncOptions> options,
    RedisOutage outage,
    TimeProvider time,
    ILogger<SyncHub> logger) : Hub<ISyncClient>
{
    private const string RoomItem = "room";
    private const string EntryItem = "entry";

    private Guid UserId => Context.User!.UserId();

    private string DisplayName => Context.User!.DisplayName();

    public long GetServerTime() => time.GetUtcNow().ToUnixTimeMilliseconds();

    public Task<HubResult<Snapshot>> JoinRoom(string roomId, string? password) => Run(async () =>
    {
        await limiter.TakeAsync(UserId, "join");
        if (string.IsNullOrWhiteSpace(roomId) || roomId.Length > 64)
        {
            throw new SyncException(ErrorCodes.UnknownRoom, "No such room.");
        }

        var (_, isNew) = await rooms.JoinAsync(roomId, UserId, ClientAddress.Of(Context.GetHttpContext()), password, Context.ConnectionAborted);
        if (isNew)
        {
            await access.InvalidateAsync(roomId);
        }

        if (CurrentRoom is { } previous && previous != roomId)
        {
            await LeaveCurrentAsync(previous);
        }

        await Groups.AddToGroupAsync(Context.ConnectionId, roomId);
        Context.Items[RoomItem] = roomId;
        local.Set(Context.ConnectionId, roomId);
        var entry = Context.Items[EntryItem] as PresenceEntry ?? new PresenceEntry(UserId, DisplayName, null, false);
        Context.Items[EntryItem] = entry;
        await presence.UpsertAsync(roomId, Context.ConnectionId, entry);
        await roomService.RememberRoomAsync(UserId, roomId);
        await roomService.BroadcastMembersAsync(roomId);
        return await roomService.SnapshotAsync(roomId, UserId, Context.ConnectionAborted);
    });

    /// <summary>After a reconnect: back into the room this user was last in, with its live timeline.</summary>
    public async Task<HubResult<Snapshot>> Resume()
    {
        var last = await roomService.LastRoomAsync(UserId);
        return last is null
            ? HubResult<Snapshot>.Fail(new SyncException(ErrorCodes.NotJoined, "There is no room to resume."))
            : await JoinRoom(last, null);
    }

    public Task<HubResult<bool>> LeaveRoom() => Run(async () =>
    {
        await LeaveCurrentAsync(RequireRoom());
        return true;
    });

    public Task<HubResult<Snapshot>> GetSnapshot() => Run(() => roomService.SnapshotAsync(RequireRoom(), UserId, Context.ConnectionAborted));

    public Task<HubResult<bool>> Heartbeat(int? rttMs) => Run(async () =>
    {
        var roomId = RequireRoom();
        var entry = (PresenceEntry)Context.Items[EntryItem]!;
        entry = entry with { RttMs = rttMs is { } r ? Math.Clamp(r, 0, 10_000) : entry.RttMs };
        Context.Items[EntryItem] = entry;
        if (await presence.UpsertAsync(roomId, Context.ConnectionId, entry))
        {
            // The entry had expired (e.g. a long GC pause or a Redis failover): tell the room it is back.
            await roomService.BroadcastMembersAsync(roomId);
        }

        return true;
    });

    public override async Task OnDisconnectedAsync(Exception? exception)
    {
        local.Remove(Context.ConnectionId);
        if (CurrentRoom is { } roomId)
        {
            try
            {
                await LeaveCurrentAsync(roomId);
            }
            catch (Exception ex) when (InfrastructureFailure.Is(ex) || ex is SyncException)
            {
                // Presence expiry cleans up what could not be removed now.
                LogCleanupFailed(logger, Context.ConnectionId, ex.Message);
            }
        }

        await base.OnDisconnectedAsync(exception);
    }

    private string? CurrentRoom => Context.Items.TryGetValue(RoomItem, out var r) ? r as string : null;

    private string RequireRoom() => CurrentRoom ?? throw new SyncException(ErrorCodes.NotJoined, "Join a room first.");

    private async Task LeaveCurrentAsync(string roomId)
    {
        Context.Items.Remove(RoomItem);
        local.Remove(Context.ConnectionId);
        await Groups.RemoveFromGroupAsync(Context.ConnectionId, roomId);
        var voiceLeft = await presence.LeaveVoiceAsync(roomId, Context.ConnectionId);
        await presence.RemoveAsync(roomId, Context.ConnectionId);
        if (!(await presence.ListAsync(roomId)).Values.Any(e => e.UserId == UserId))
        {
            await roomService.ReleaseAsync(roomId, UserId);
        }

        await roomService.BroadcastMembersAsync(roomId);
        if (voiceLeft)
        {
            await roomService.BroadcastVoiceAsync(roomId);
        }
    }

    private async Task<HubResult<T>> Run<T>(Func<Task<T>> body)
    {
        // Every command touches Redis (rate limits, timeline, presence): while it is out, refuse at once, not after a timeout.
        if (outage.IsOpen)
        {
            outage.Refused();
            return HubResult<T>.Fail(Unavailable((long)outage.RetryAfter.TotalMilliseconds));
        }

        try
        {
            return HubResult<T>.Success(await body());
        }
        catch (SyncException ex)
        {
            return HubResult<T>.Fail(ex);
        }
        catch (Exception ex) when (RedisOutage.IsOutage(ex))
        {
            // Logged once for the whole outage by RedisOutage, not per command.
            outage.Trip(ex.GetType().Name + ": " + ex.Message);
            outage.Refused();
            return HubResult<T>.Fail(Unavailable((long)outage.RetryAfter.TotalMilliseconds));
        }
        catch (Exception ex) when (InfrastructureFailure.Is(ex))
        {
            LogUnavailable(logger, ex.GetType().Name, ex.Message);
            return HubResult<T>.Fail(Unavailable());
        }
    }

    private static SyncException Unavailable(long? retryAfterMs = null) =>
        new(ErrorCodes.Unavailable, "A backing store is unavailable; try again shortly.", retryAfterMs: retryAfterMs);

    [LoggerMessage(LogLevel.Warning, "Hub command failed on infrastructure: {Type}: {Message}")]
    private static partial void LogUnavailable(ILogger logger, string type, string message);

    [LoggerMessage(LogLevel.Information, "Could not clean up connection {ConnectionId} now; presence expiry will: {Reason}")]
    private static partial void LogCleanupFailed(ILogger logger, string connectionId, string reason);
}
