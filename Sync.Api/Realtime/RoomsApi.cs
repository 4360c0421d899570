using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Redis.Failover;
using Sync.Api.Identity;
using Sync.Api.Playback;
using Sync.Api.Rooms;

namespace Sync.Api.Realtime;

/// <summary>Rooms, members, queue and chat history over HTTP. Refusals throw <see cref="SyncException"/>, which the
/// problem-details filter turns into RFC 9457 responses with a <c>code</c>.</summary>
public static class RoomsApi
{
    public static IEndpointRouteBuilder MapRoomsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/rooms").WithTags("Rooms").RequireAuthorization().RequireRedis().AddEndpointFilter<SyncProblemFilter>();
        api.MapPost("/", CreateAsync);
        api.MapGet("/{roomId}", GetAsync).AllowAnonymous();
        api.MapPost("/{roomId}/join", JoinAsync).RequireRateLimiting("join");
        api.MapPost("/{roomId}/leave", LeaveAsync);
        api.MapGet("/{roomId}/members", MembersAsync);
        api.MapPut("/{roomId}/members/{userId:guid}/role", SetRoleAsync);
        api.MapPut("/{roomId}/permissions", SetPermissionsAsync);
        api.MapGet("/{roomId}/queue", QueueAsync);
        api.MapPost("/{roomId}/queue", EnqueueAsync).RequireRateLimiting("queue");
        api.MapDelete("/{roomId}/queue/{itemId:long}", DequeueAsync).RequireRateLimiting("queue");
        api.MapGet("/{roomId}/chat", ChatAsync);
        return app;
    }

    private static async Task<Created<Room>> CreateAsync(CreateRoomRequest request, HttpContext http, RoomStore rooms, CancellationToken ct)
    {
        var name = request.Name?.Trim() ?? "";
        if (name.Length is 0 or > 80)
        {
            throw new SyncException(ErrorCodes.InvalidArgument, "name must be 1 to 80 characters.");
        }

        if (request.Password is { Length: 0 or > 128 })
        {
            throw new SyncException(ErrorCodes.InvalidArgument, "password must be 1 to 128 characters when given.");
        }

        var room = await rooms.CreateAsync(http.User.UserId(), name, request.Password, ct);
        return TypedResults.Created($"/api/rooms/{room.Id}", room);
    }

    private static async Task<Ok<Room>> GetAsync(string roomId, RoomStore rooms, CancellationToken ct) =>
        TypedResults.Ok((await rooms.GetAsync(roomId, ct) ?? throw UnknownRoom(roomId)).Room);

    private static async Task<Ok<Member>> JoinAsync(string roomId, JoinRoomRequest? request, HttpContext http, RoomStore rooms,
        RoomAccess access, RoomService service, CancellationToken ct)
    {
        var (_, isNew) = await rooms.JoinAsync(roomId, http.User.UserId(), ClientAddress.Of(http), request?.Password, ct);
        if (isNew)
        {
            await access.InvalidateAsync(roomId);
            await service.BroadcastMembersAsync(roomId);
        }

        return TypedResults.Ok((await service.MembersAsync(roomId, ct)).First(m => m.UserId == http.User.UserId()));
    }

    private static async Task<NoContent> LeaveAsync(string roomId, HttpContext http, RoomStore rooms, RoomAccess access,
        RoomService service, CancellationToken ct)
    {
        await RequireMemberAsync(access, roomId, http, ct);
        await rooms.LeaveAsync(roomId, http.User.UserId(), ct);
        await access.InvalidateAsync(roomId);
        await service.BroadcastMembersAsync(roomId);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<IReadOnlyList<Member>>> MembersAsync(string roomId, HttpContext http, RoomAccess access, RoomService service, CancellationToken ct)
    {
        await RequireMemberAsync(access, roomId, http, ct);
        return TypedResults.Ok(await service.MembersAsync(roomId, ct));
    }

    private static async Task<Ok<Member>> SetRoleAsync(string roomId, Guid userId, SetRoleRequest request, HttpContext http,
        RoomStore rooms, RoomAccess access, RoomService service, CancellationToken ct)
    {
        await RequireHostAsync(access, roomId, http, ct);
        if (!Enum.IsDefined(request.Role) || !await rooms.SetRoleAsync(roomId, userId, request.Role, ct))
        {
            throw new SyncException(ErrorCodes.InvalidArgument, "No such member or role.");
        }

        await access.InvalidateAsync(roomId);
        await service.BroadcastMembersAsync(roomId);
        return TypedResults.Ok((await service.MembersAsync(roomId, ct)).First(m => m.UserId == userId));
    }

    private static async Task<Ok<Room>> SetPermissionsAsync(string roomId, RoomPermissions request, HttpContext http,
        RoomStore rooms, RoomAccess access, RoomService service, CancellationToken ct)
    {
        await RequireHostAsync(access, roomId, http, ct);
        if (!Enum.IsDefined(request.Control) || !Enum.IsDefined(request.Queue) || !Enum.IsDefined(request.Chat))
        {
            throw new SyncException(ErrorCodes.InvalidArgument, "Unknown role in permissions.");
        }

        await rooms.SetPermissionsAsync(roomId, request, ct);
        await access.InvalidateAsync(roomId);
        return TypedResults.Ok(await service.BroadcastRoomAsync(roomId, ct));
    }

    private static async Task<Ok<IReadOnlyList<QueueItem>>> QueueAsync(string roomId, HttpContext http, RoomStore rooms, RoomAccess access, CancellationToken ct)
    {
        await RequireMemberAsync(access, roomId, http, ct);
        return TypedResults.Ok(await rooms.QueueAsync(roomId, ct));
    }

    private static async Task<Created<QueueItem>> EnqueueAsync(string roomId, AddQueueItemRequest request, HttpContext http,
        RoomStore rooms, RoomAccess access, RoomService service, CancellationToken ct)
    {
        TimelineRules.ValidateMedia(request.Url, request.Title, request.DurationMs);
        await access.DemandAsync(roomId, http.User.UserId(), RoomAction.Queue, ct);
        var item = await rooms.EnqueueAsync(roomId, http.User.UserId(), request.Url, request.Title, request.DurationMs, ct);
        await service.BroadcastQueueAsync(roomId);
        return TypedResults.Created($"/api/rooms/{roomId}/queue/{item.Id}", item);
    }

    private static async Task<NoContent> DequeueAsync(string roomId, long itemId, HttpContext http, RoomStore rooms,
        RoomAccess access, RoomService service, CancellationToken ct)
    {
        await access.DemandAsync(roomId, http.User.UserId(), RoomAction.Queue, ct);
        if (!await rooms.DequeueAsync(roomId, itemId, ct))
        {
            throw new SyncException(ErrorCodes.InvalidArgument, $"Queue item {itemId} is not in this room.");
        }

        await service.BroadcastQueueAsync(roomId);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<IReadOnlyList<ChatMessage>>> ChatAsync(string roomId, long? before, int? limit, HttpContext http,
        RoomStore rooms, RoomAccess access, CancellationToken ct)
    {
        await RequireMemberAsync(access, roomId, http, ct);
        return TypedResults.Ok(await rooms.ChatAsync(roomId, before, Math.Clamp(limit ?? 50, 1, 100), ct));
    }

    private static async Task RequireMemberAsync(RoomAccess access, string roomId, HttpContext http, CancellationToken ct)
    {
        if ((await access.GetAsync(roomId, http.User.UserId(), ct)).Role is null)
        {
            throw new SyncException(ErrorCodes.Forbidden, "You are not a member of this room.");
        }
    }

    private static async Task RequireHostAsync(RoomAccess access, string roomId, HttpContext http, CancellationToken ct)
    {
        if ((await access.GetAsync(roomId, http.User.UserId(), ct)).Role != Role.Host)
        {
            throw new SyncException(ErrorCodes.Forbidden, "Only a host may change roles and permissions.");
        }
    }

    private static SyncException UnknownRoom(string roomId) => new(ErrorCodes.UnknownRoom, $"Room '{roomId}' does not exist.");
}
