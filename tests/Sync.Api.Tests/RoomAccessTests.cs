using System.Net;
using System.Text.Json;
using Npgsql;
using Sync.Api.Playback;
using Sync.Api.Realtime;
using Sync.Api.Rooms;

namespace Sync.Api.Tests;

public sealed class RoomAccessTests(SyncCluster cluster)
{
    [Fact]
    public async Task PermissionsDecideWhoControlsAndChatsAndHostsCanPromote()
    {
        var host = await cluster.GuestAsync("host");
        var viewer = await cluster.GuestAsync("viewer", 1);
        var room = await cluster.CreateRoomAsync(host);
        await using var a = await cluster.JoinAsync(host, room.Id, 0);
        await using var b = await cluster.JoinAsync(viewer, room.Id, 1);
        await a.Call<Timeline>("ChangeMedia", null, "https://media.example/a.mp4", null, null);

        var set = await cluster.SendAsync(cluster.Request(HttpMethod.Put, $"/api/rooms/{room.Id}/permissions", host,
            new RoomPermissions(Role.Cohost, Role.Member, Role.Host)));
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        await b.WaitForAsync(c => c.Room?.Permissions.Control == Role.Cohost, "permissions broadcast");

        var seq = (await b.Call<Snapshot>("GetSnapshot")).Timeline.Seq;
        Assert.Equal(ErrorCodes.Forbidden, (await b.Refused<Timeline>("Pause", (long?)null)).Code);
        Assert.Equal(ErrorCodes.Forbidden, (await b.Refused<ChatMessage>("SendChat", "hello")).Code);
        Assert.Equal(ErrorCodes.Forbidden, (await b.Refused<bool>("SendReaction", "👍")).Code);
        var notHost = await cluster.SendAsync(cluster.Request(HttpMethod.Put, $"/api/rooms/{room.Id}/permissions", viewer,
            RoomPermissions.Default, 1));
        await AssertProblem(notHost, HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        Assert.Equal(seq, (await b.Call<Snapshot>("GetSnapshot")).Timeline.Seq);

        var promote = await cluster.SendAsync(cluster.Request(HttpMethod.Put, $"/api/rooms/{room.Id}/members/{viewer.UserId}/role",
            host, new SetRoleRequest(Role.Cohost)));
        Assert.Equal(HttpStatusCode.OK, promote.StatusCode);
        var paused = await b.Call<Timeline>("Pause", (long?)null);
        Assert.Equal(seq + 1, paused.Seq);
        Assert.Equal(ErrorCodes.Forbidden, (await b.Refused<ChatMessage>("SendChat", "still host-only")).Code);
    }

    [Fact]
    public async Task RoomPasswordIsRequiredOnHttpAndHubAndStoredHashed()
    {
        var host = await cluster.GuestAsync("host");
        var guest = await cluster.GuestAsync("guest", 1);
        var room = await cluster.CreateRoomAsync(host, "s3cret!");
        Assert.True(room.HasPassword);

        await AssertProblem(await cluster.SendAsync(cluster.Request(HttpMethod.Post, $"/api/rooms/{room.Id}/join", guest, new { }, 1)),
            HttpStatusCode.Forbidden, ErrorCodes.WrongPassword);
        await AssertProblem(await cluster.SendAsync(cluster.Request(HttpMethod.Post, $"/api/rooms/{room.Id}/join", guest, new { password = "nope" }, 1)),
            HttpStatusCode.Forbidden, ErrorCodes.WrongPassword);
        await using var b = await cluster.ConnectAsync(guest, 1);
        Assert.Equal(ErrorCodes.WrongPassword, (await b.Refused<Snapshot>("JoinRoom", room.Id, "wrong")).Code);
        Assert.Equal(ErrorCodes.NotJoined, (await b.Refused<Snapshot>("GetSnapshot")).Code);

        var snapshot = await b.Call<Snapshot>("JoinRoom", room.Id, "s3cret!");
        Assert.Equal(Role.Member, snapshot.You.Role);
        // Once a member, no password again (e.g. after a reconnect).
        Assert.Equal(HttpStatusCode.OK, (await cluster.SendAsync(cluster.Request(HttpMethod.Post, $"/api/rooms/{room.Id}/join", guest, new { }))).StatusCode);

        await using var db = NpgsqlDataSource.Create(cluster.Postgres.ConnectionString("syncdb"));
        await using var cmd = db.CreateCommand($"SELECT password_hash FROM rooms WHERE id = '{room.Id}'");
        var stored = (string)(await cmd.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
        Assert.StartsWith("pbkdf2-sha256$", stored, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", stored, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HttpAndHubDrawOnTheSameQueueBucketAndTheHttpRefusalIs429WithRetryAfter()
    {
        // A queue bucket of 10 on two replicas of its own, refilled so slowly that no token comes back while the test
        // draws on it: the counts are exact however long the calls take.
        const double perSecond = 0.0001;
        await using var replicas = await Replicas.StartAsync(cluster, new Dictionary<string, string?>
        {
            ["Sync:RateLimits:queue:Burst"] = "10",
            ["Sync:RateLimits:queue:PerSecond"] = perSecond.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        var host = await cluster.GuestAsync("queuer");
        var room = await cluster.CreateRoomAsync(host);
        await using var a = await replicas.ConnectAsync(0, host);
        a.Apply(await a.Call<Snapshot>("JoinRoom", room.Id, null));
        a.StartHeartbeats();

        // Half taken over the hub on one replica, half over HTTP on the other.
        for (var i = 0; i < 5; i++)
        {
            await a.Call<QueueItem>("QueueAdd", $"https://media.example/hub{i}.mp4", null, null);
        }

        HttpResponseMessage response;
        var created = 0;
        while ((response = await QueueOverHttpAsync(replicas.Urls[1], room, host, $"https://media.example/http{created}.mp4")).StatusCode == HttpStatusCode.Created)
        {
            Assert.True(++created <= 5, "the HTTP requests were not limited by the bucket the hub calls drew on");
        }

        Assert.Equal(5, created);
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        // The time until the next token, at most one token's refill.
        Assert.InRange(response.Headers.RetryAfter!.Delta!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1 / perSecond));
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(ErrorCodes.RateLimited, problem.RootElement.GetProperty("code").GetString());
        Assert.Equal(ErrorCodes.RateLimited, (await a.Refused<QueueItem>("QueueAdd", "https://media.example/late.mp4", null, null)).Code);
    }

    private Task<HttpResponseMessage> QueueOverHttpAsync(Uri replica, Room room, Guest guest, string url)
    {
        var request = cluster.Request(HttpMethod.Post, $"/api/rooms/{room.Id}/queue", guest, new AddQueueItemRequest(url, null, null));
        request.RequestUri = new Uri(replica, request.RequestUri!.PathAndQuery);
        return cluster.SendAsync(request);
    }

    [Fact]
    public async Task HttpApiServesRoomsMembersQueueAndChatHistoryWithProblemDetails()
    {
        var host = await cluster.GuestAsync("host");
        var other = await cluster.GuestAsync("other");
        var room = await cluster.CreateRoomAsync(host);
        await using var a = await cluster.JoinAsync(host, room.Id, 1);

        var added = await cluster.SendAsync(cluster.Request(HttpMethod.Post, $"/api/rooms/{room.Id}/queue", host,
            new AddQueueItemRequest("https://media.example/next.mp4", "Next", 1000)));
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        await a.WaitForAsync(c => c.Queue?.Count == 1, "queue broadcast");
        await a.Call<ChatMessage>("SendChat", "first");
        await a.Call<ChatMessage>("SendChat", "second");

        var chat = await cluster.GetAsync<List<ChatMessage>>(Path(room, "/chat?limit=1"), host);
        Assert.Equal("second", Assert.Single(chat).Text);
        var members = await cluster.GetAsync<List<Member>>(Path(room, "/members"), host);
        Assert.Equal(Role.Host, Assert.Single(members).Role);
        Assert.True(members[0].Online);
        var next = await a.Call<Timeline>("PlayNext", (long?)null);
        Assert.Equal("https://media.example/next.mp4", next.MediaUrl);
        await a.WaitForAsync(c => c.Queue?.Count == 0, "queue emptied by PlayNext");

        await AssertProblem(await cluster.SendAsync(cluster.Request(HttpMethod.Get, Path(room, "/members"), other)), HttpStatusCode.Forbidden, ErrorCodes.Forbidden);
        await AssertProblem(await cluster.SendAsync(cluster.Request(HttpMethod.Get, "/api/rooms/nosuchroom", other)), HttpStatusCode.NotFound, ErrorCodes.UnknownRoom);
        await AssertProblem(await cluster.SendAsync(cluster.Request(HttpMethod.Get, Path(room, "/members"), null)), HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized);
        await AssertProblem(await cluster.SendAsync(cluster.Request(HttpMethod.Post, "/api/sessions", null, new { displayName = "" })), HttpStatusCode.BadRequest, ErrorCodes.InvalidArgument);
        await AssertProblem(await cluster.SendAsync(cluster.Request(HttpMethod.Post, $"/api/rooms/{room.Id}/queue", host,
            new AddQueueItemRequest("javascript:alert(1)", null, null))), HttpStatusCode.BadRequest, ErrorCodes.InvalidMediaUrl);
        var forged = host with { Token = host.Token[..^4] + "AAAA" };
        await AssertProblem(await cluster.SendAsync(cluster.Request(HttpMethod.Get, Path(room, "/members"), forged)), HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized);

        var openApi = await cluster.Http.GetStringAsync(new Uri(cluster.Urls[0], "/openapi/v1.json"), TestContext.Current.CancellationToken);
        Assert.Contains("/api/rooms/{roomId}/queue", openApi, StringComparison.Ordinal);
    }

    private string Path(Room room, string rest) => $"/api/rooms/{room.Id}{rest}";

    internal static async Task AssertProblem(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(code, doc.RootElement.GetProperty("code").GetString());
    }
}
