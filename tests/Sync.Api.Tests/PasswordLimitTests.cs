using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sync.Api.Realtime;
using Sync.Api.Rooms;

namespace Sync.Api.Tests;

/// <summary>
/// Room passwords and session minting under attack, against two extra Sync.Api replicas with tight limits (the
/// shared cluster's are lifted for the other tests). Clients are told apart by X-Forwarded-For, which the replicas
/// believe from loopback, the way Web.Frontend's proxy reaches them; every test uses addresses of its own.
/// </summary>
public sealed class PasswordLimitTests(SyncCluster cluster)
{
    // Refill so slow that no token comes back while a test runs: the counts below are exact.
    private const string Trickle = "0.0001";

    private static readonly Dictionary<string, string?> Tight = new()
    {
        ["Sync:SessionsPerAddress:Burst"] = "3",
        ["Sync:SessionsPerAddress:PerSecond"] = Trickle,
        ["Sync:PasswordAttemptsPerAddress:Burst"] = "5",
        ["Sync:PasswordAttemptsPerAddress:PerSecond"] = Trickle,
        ["Sync:PasswordAttemptsPerRoom:Burst"] = "10",
        ["Sync:PasswordAttemptsPerRoom:PerSecond"] = Trickle,
    };

    [Fact]
    public async Task WrongPasswordsFromOneAddressAreRefusedAfterAHandfulOnHttpAndHubAcrossBothReplicas()
    {
        await using var replicas = await Replicas.StartAsync(cluster, Tight);
        var host = await cluster.GuestAsync("host");
        var guesser = await cluster.GuestAsync("guesser");
        var room = await cluster.CreateRoomAsync(host, "correct horse");
        var attacker = NewAddress();
        await using var hub = await replicas.ConnectAsync(1, guesser, attacker);

        var outcomes = new List<string>();
        for (var i = 0; i < 300; i++)
        {
            if (i % 3 == 2)
            {
                var error = await hub.Refused<Snapshot>("JoinRoom", room.Id, $"guess {i}");
                if (error.Code == ErrorCodes.RateLimited)
                {
                    Assert.True(error.RetryAfterMs > 0, "a typed hub refusal says when to retry");
                }

                outcomes.Add(error.Code);
                continue;
            }

            var response = await JoinAsync(replicas.Urls[i % 2], room, guesser, attacker, $"guess {i}");
            var code = await CodeOf(response);
            if (code == ErrorCodes.RateLimited)
            {
                Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
                Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero, "429 carries Retry-After");
            }

            outcomes.Add(code);
        }

        Assert.Equal(Enumerable.Repeat(ErrorCodes.WrongPassword, 5), outcomes.Take(5));
        Assert.All(outcomes.Skip(5), code => Assert.Equal(ErrorCodes.RateLimited, code));
        // The connection outlived its refusals.
        Assert.Equal(ErrorCodes.NotJoined, (await hub.Refused<Snapshot>("GetSnapshot")).Code);

        // Even the right password waits from that address; from another, it works: the room's own budget was not
        // drained by the refused guesses.
        Assert.Equal(ErrorCodes.RateLimited, await CodeOf(await JoinAsync(replicas.Urls[0], room, guesser, attacker, "correct horse")));
        var friend = await cluster.GuestAsync("friend");
        var joined = await JoinAsync(replicas.Urls[1], room, friend, NewAddress(), "correct horse");
        Assert.Equal(HttpStatusCode.OK, joined.StatusCode);
    }

    [Fact]
    public async Task GuessesSpreadOverManyAddressesAreStoppedByTheRoomLimit()
    {
        await using var replicas = await Replicas.StartAsync(cluster, Tight);
        var host = await cluster.GuestAsync("host");
        var guesser = await cluster.GuestAsync("botnet");
        var room = await cluster.CreateRoomAsync(host, "correct horse");

        var outcomes = new List<string>();
        for (var i = 0; i < 30; i++)
        {
            outcomes.Add(await CodeOf(await JoinAsync(replicas.Urls[i % 2], room, guesser, NewAddress(), $"guess {i}")));
        }

        Assert.Equal(Enumerable.Repeat(ErrorCodes.WrongPassword, 10), outcomes.Take(10));
        Assert.All(outcomes.Skip(10), code => Assert.Equal(ErrorCodes.RateLimited, code));
        // Another room is not affected.
        var other = await cluster.CreateRoomAsync(host, "battery staple");
        Assert.Equal(HttpStatusCode.OK, (await JoinAsync(replicas.Urls[0], other, guesser, NewAddress(), "battery staple")).StatusCode);
    }

    [Fact]
    public async Task ForwardedForFromAPeerThatIsNotATrustedProxyIsIgnored()
    {
        var settings = new Dictionary<string, string?>(Tight) { ["Sync:TrustedProxies:0"] = "192.0.2.0/24" };
        await using var replicas = await Replicas.StartAsync(cluster, settings);
        var host = await cluster.GuestAsync("host");
        var guesser = await cluster.GuestAsync("spoofer");
        var room = await cluster.CreateRoomAsync(host, "correct horse");
        var db = replicas.Apps[0].Services.GetRequiredService<StackExchange.Redis.IConnectionMultiplexer>().GetDatabase();
        await db.KeyDeleteAsync(RoomPasswords.AddressKey("127.0.0.1"));

        // A new X-Forwarded-For each time does not make a new client: all six count against the real peer.
        var spoofed = Enumerable.Range(0, 6).Select(_ => NewAddress()).ToList();
        var outcomes = new List<string>();
        foreach (var address in spoofed)
        {
            outcomes.Add(await CodeOf(await JoinAsync(replicas.Urls[0], room, guesser, address, "guess")));
        }

        Assert.Equal([.. Enumerable.Repeat(ErrorCodes.WrongPassword, 5), ErrorCodes.RateLimited], outcomes);
        Assert.True(await db.KeyExistsAsync(RoomPasswords.AddressKey("127.0.0.1")));
        Assert.False(await db.KeyExistsAsync(RoomPasswords.AddressKey(spoofed[0])));
        await db.KeyDeleteAsync(RoomPasswords.AddressKey("127.0.0.1"));
    }

    [Fact]
    public async Task SessionsAreMintedAFewPerAddressThen429WithRetryAfter()
    {
        await using var replicas = await Replicas.StartAsync(cluster, Tight);
        var minter = NewAddress();
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage last = null!;
        for (var i = 0; i < 20; i++)
        {
            last = await CreateSessionAsync(replicas.Urls[i % 2], minter);
            statuses.Add(last.StatusCode);
        }

        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.Created, 3), .. Enumerable.Repeat(HttpStatusCode.TooManyRequests, 17)], statuses);
        Assert.True(last.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        await RoomAccessTests.AssertProblem(last, HttpStatusCode.TooManyRequests, ErrorCodes.RateLimited);
        Assert.Equal(HttpStatusCode.Created, (await CreateSessionAsync(replicas.Urls[1], NewAddress())).StatusCode);
    }

    [Fact]
    public async Task AFullHashingGateRefusesWith503AndRetryAfterInsteadOfQueueing()
    {
        var settings = new Dictionary<string, string?>(Tight) { ["Sync:PasswordHashConcurrency"] = "1", ["Sync:PasswordHashQueue"] = "0" };
        await using var replicas = await Replicas.StartAsync(cluster, settings);
        var host = await cluster.GuestAsync("host");
        var guest = await cluster.GuestAsync("guest");
        var room = await cluster.CreateRoomAsync(host, "correct horse");
        await using var hub = await replicas.ConnectAsync(0, guest, NewAddress());

        var gate = replicas.Apps[0].Services.GetRequiredService<RoomPasswords>().Gate;
        using (var held = await gate.AcquireAsync(1, TestContext.Current.CancellationToken))
        {
            Assert.True(held.IsAcquired);
            var busy = await JoinAsync(replicas.Urls[0], room, guest, NewAddress(), "correct horse");
            await RoomAccessTests.AssertProblem(busy, HttpStatusCode.ServiceUnavailable, ErrorCodes.Unavailable);
            Assert.True(busy.Headers.RetryAfter?.Delta > TimeSpan.Zero);
            Assert.Equal(ErrorCodes.Unavailable, (await hub.Refused<Snapshot>("JoinRoom", room.Id, "correct horse")).Code);
        }

        Assert.Equal(Role.Member, (await hub.Call<Snapshot>("JoinRoom", room.Id, "correct horse")).You.Role);
    }

    /// <summary>An address of the benchmarking range (198.18.0.0/15), random so that no two tests or runs share one.</summary>
    private static string NewAddress() => $"198.{18 + Random.Shared.Next(2)}.{Random.Shared.Next(256)}.{Random.Shared.Next(1, 255)}";

    private async Task<HttpResponseMessage> JoinAsync(Uri replica, Room room, Guest guest, string address, string password)
    {
        var request = cluster.Request(HttpMethod.Post, $"/api/rooms/{room.Id}/join", guest, new { password });
        request.RequestUri = new Uri(replica, request.RequestUri!.PathAndQuery);
        request.Headers.Add("X-Forwarded-For", address);
        return await cluster.SendAsync(request);
    }

    private async Task<HttpResponseMessage> CreateSessionAsync(Uri replica, string address)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(replica, "/api/sessions")) { Content = JsonContent.Create(new { displayName = "minted" }) };
        request.Headers.Add("X-Forwarded-For", address);
        return await cluster.SendAsync(request);
    }

    private static async Task<string> CodeOf(HttpResponseMessage response)
    {
        if (response.IsSuccessStatusCode)
        {
            return "ok";
        }

        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        return doc.RootElement.GetProperty("code").GetString()!;
    }
}
