using Platform.SignalR.Redis.Tests.Infrastructure;

namespace Platform.SignalR.Redis.Tests;

/// <summary>
/// The same operations across two and three servers. Where a test asserts that something did NOT arrive, a witness
/// connection on the same server that must receive the same Redis message proves delivery there is over.
/// </summary>
public sealed class ScaleOutSpecTests(RedisFixture redis)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<TestClient[]> ConnectOnePerServerAsync(TestServers servers, string? userId = null)
    {
        var clients = new TestClient[servers.Count];
        for (var i = 0; i < servers.Count; i++)
        {
            clients[i] = new TestClient(userId);
            await servers[i].OnConnectedAsync(clients[i].Connection).WithTimeout();
        }

        return clients;
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task SendAllReachesConnectionsOnEveryServer(int count)
    {
        await using var servers = TestServers.Create(redis.ConnectionString, count);
        var clients = await ConnectOnePerServerAsync(servers);

        await servers[count - 1].SendAllAsync("Hello", ["World"], Ct).WithTimeout();

        foreach (var client in clients)
        {
            (await client.ReadInvocationAsync()).AssertHello();
            client.Dispose();
        }
    }

    [Fact]
    public async Task SendAllSkipsConnectionsThatDisconnectedFromAnotherServer()
    {
        await using var servers = TestServers.Create(redis.ConnectionString, 2);
        using var client1 = new TestClient();
        using var client2 = new TestClient();
        using var witness = new TestClient();
        await servers[0].OnConnectedAsync(client1.Connection).WithTimeout();
        await servers[1].OnConnectedAsync(client2.Connection).WithTimeout();
        await servers[1].OnConnectedAsync(witness.Connection).WithTimeout();
        await servers[1].OnDisconnectedAsync(client2.Connection).WithTimeout();

        await servers[0].SendAllAsync("Hello", ["World"], Ct).WithTimeout();

        (await client1.ReadInvocationAsync()).AssertHello();
        (await witness.ReadInvocationAsync()).AssertHello();
        Assert.Null(client2.TryRead());
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task SendAllExceptSkipsExcludedConnectionsOnOtherServers(int count)
    {
        await using var servers = TestServers.Create(redis.ConnectionString, count);
        var clients = await ConnectOnePerServerAsync(servers);
        using var witness = new TestClient();
        await servers[1].OnConnectedAsync(witness.Connection).WithTimeout();

        await servers[0].SendAllExceptAsync("Hello", ["World"], [clients[1].Id], Ct).WithTimeout();

        (await witness.ReadInvocationAsync()).AssertHello();
        Assert.Null(clients[1].TryRead());
        for (var i = 0; i < count; i++)
        {
            if (i != 1)
            {
                (await clients[i].ReadInvocationAsync()).AssertHello();
            }

            clients[i].Dispose();
        }
    }

    [Fact]
    public async Task SendConnectionReachesAConnectionOnAnotherServer()
    {
        await using var servers = TestServers.Create(redis.ConnectionString, 2);
        using var client = new TestClient();
        await servers[0].OnConnectedAsync(client.Connection).WithTimeout();

        await servers[1].SendConnectionAsync(client.Id, "Hello", ["World"], Ct).WithTimeout();

        (await client.ReadInvocationAsync()).AssertHello();
    }

    [Fact]
    public async Task SendConnectionsReachesLocalAndRemoteConnections()
    {
        await using var servers = TestServers.Create(redis.ConnectionString, 3);
        var clients = await ConnectOnePerServerAsync(servers);

        await servers[0].SendConnectionsAsync([clients[0].Id, clients[2].Id], "Hello", ["World"], Ct).WithTimeout();

        (await clients[0].ReadInvocationAsync()).AssertHello();
        (await clients[2].ReadInvocationAsync()).AssertHello();
        await servers[1].SendConnectionAsync(clients[1].Id, "Hello", ["Barrier"], Ct).WithTimeout();
        (await clients[1].ReadInvocationAsync()).AssertHello("Barrier");
        Array.ForEach(clients, c => c.Dispose());
    }

    [Fact]
    public async Task ASendToALocalConnectionDoesNotGoThroughRedis()
    {
        await using var servers = TestServers.Create(redis.ConnectionString, 2);
        using var client = new TestClient();
        // The same connection known to both servers would receive a published message twice.
        await servers[0].OnConnectedAsync(client.Connection).WithTimeout();
        await servers[1].OnConnectedAsync(client.Connection).WithTimeout();

        await servers[0].SendConnectionAsync(client.Id, "Hello", ["World"], Ct).WithTimeout();
        await servers[0].SendConnectionAsync(client.Id, "Hello", ["Second"], Ct).WithTimeout();

        (await client.ReadInvocationAsync()).AssertHello();
        (await client.ReadInvocationAsync()).AssertHello("Second");
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task SendGroupReachesMembersOnEveryServerAndNoOneElse(int count)
    {
        await using var servers = TestServers.Create(redis.ConnectionString, count);
        var members = await ConnectOnePerServerAsync(servers);
        var outsiders = await ConnectOnePerServerAsync(servers);
        for (var i = 0; i < count; i++)
        {
            await servers[i].AddToGroupAsync(members[i].Id, "room", Ct).WithTimeout();
        }

        await servers[0].SendGroupAsync("room", "Hello", ["World"], Ct).WithTimeout();

        foreach (var member in members)
        {
            (await member.ReadInvocationAsync()).AssertHello();
        }

        Assert.All(outsiders, o => Assert.Null(o.TryRead()));
        Array.ForEach([.. members, .. outsiders], c => c.Dispose());
    }

    [Fact]
    public async Task SendGroupFromAServerWithoutMembersReachesTheGroup()
    {
        await using var servers = TestServers.Create(redis.ConnectionString, 2);
        using var client = new TestClient();
        await servers[0].OnConnectedAsync(client.Connection).WithTimeout();
        await servers[0].AddToGroupAsync(client.Id, "name", Ct).WithTimeout();

        await servers[1].SendGroupAsync("name", "Hello", ["World"], Ct).WithTimeout();

        (await client.ReadInvocationAsync()).AssertHello();
    }

    [Fact]
    public async Task SendGroupsReachesMembersOfEachGroupAcrossServers()
    {
        await using var servers = TestServers.Create(redis.ConnectionString, 3);
        var clients = await ConnectOnePerServerAsync(servers);
        await servers[0].AddToGroupAsync(clients[1].Id, "a", Ct).WithTimeout();
        await servers[0].AddToGroupAsync(clients[2].Id, "b", Ct).WithTimeout();

        await servers[0].SendGroupsAsync(["a", "b"], "Hello", ["World"], Ct).WithTimeout();

        (await clients[1].ReadInvocationAsync()).AssertHello();
        (await clients[2].ReadInvocationAsync()).AssertHello();
        Assert.Null(clients[0].TryRead());
        Array.ForEach(clients, c => c.Dispose());
    }

    [Fact]
    public async Task SendGroupExceptSkipsAnExcludedMemberOnAnotherServer()
    {
        await using var servers = TestServers.Create(redis.ConnectionString, 2);
        using var excluded = new TestClient();
        using var witness = new TestClient();
        await servers[1].OnConnectedAsync(excluded.Connection).WithTimeout();
        await servers[1].OnConnectedAsync(witness.Connection).WithTimeout();
        await servers[0].AddToGroupAsync(excluded.Id, "g", Ct).WithTimeout();
        await servers[0].AddToGroupAsync(witness.Id, "g", Ct).WithTimeout();

        await servers[0].SendGroupExceptAsync("g", "Hello", ["World"], [excluded.Id], Ct).WithTimeout();

        (await witness.ReadInvocationAsync()).AssertHello();
        Assert.Null(excluded.TryRead());
    }

    [Fact]
    public async Task AddingAConnectionOnAnotherServerTwiceDeliversOnce()
    {
        await using var servers = TestServers.Create(redis.ConnectionString, 2);
        using var client = new TestClient();
        await servers[0].OnConnectedAsync(client.Connection).WithTimeout();
        await servers[0].AddToGroupAsync(client.Id, "name", Ct).WithTimeout();
        await servers[1].AddToGroupAsync(client.Id, "name", Ct).WithTimeout();

        await servers[1].SendGroupAsync("name", "Hello", ["World"], Ct).WithTimeout();
        await servers[1].SendConnectionAsync(client.Id, "Hello", ["Barrier"], Ct).WithTimeout();

        (await client.ReadInvocationAsync()).AssertHello();
        (await client.ReadInvocationAsync()).AssertHello("Barrier");
    }

    [Fact]
    public async Task RemovingAConnectionOnAnotherServerFromAGroupStopsDeliveryAndUnsubscribes()
    {
        await using var servers = TestServers.Create(redis.ConnectionString, 2);
        using var client = new TestClient();
        await servers[0].OnConnectedAsync(client.Connection).WithTimeout();
        await servers[1].AddToGroupAsync(client.Id, "name", Ct).WithTimeout();
        Assert.Equal(1, await redis.SubscribersAsync(servers.Channel("group", "name")));

        await servers[1].SendGroupAsync("name", "Hello", ["World"], Ct).WithTimeout();
        (await client.ReadInvocationAsync()).AssertHello();

        await servers[1].RemoveFromGroupAsync(client.Id, "name", Ct).WithTimeout();
        Assert.Equal(0, await redis.SubscribersAsync(servers.Channel("group", "name")));
        await servers[1].SendGroupAsync("name", "Hello", ["Gone"], Ct).WithTimeout();
        await servers[1].SendConnectionAsync(client.Id, "Hello", ["Barrier"], Ct).WithTimeout();
        (await client.ReadInvocationAsync()).AssertHello("Barrier");
    }

    [Fact]
    public async Task RemovingAConnectionOnAnotherServerFromAGroupItIsNotInDoesNothing()
    {
        await using var servers = TestServers.Create(redis.ConnectionString, 2);
        using var client = new TestClient();
        await servers[0].OnConnectedAsync(client.Connection).WithTimeout();

        await servers[1].RemoveFromGroupAsync(client.Id, "name", Ct).WithTimeout();
    }

    [Fact]
    public async Task AGroupChangeForAConnectionOnAServerThatStoppedAnsweringTimesOut()
    {
        await using var servers = TestServers.Create(redis.ConnectionString, 1, o => o.AckTimeout = TimeSpan.FromMilliseconds(300));
        await using var raw = await Platform.Redis.ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        // Something holds the connection's channel but never acknowledges: a hung server.
        await raw.GetSubscriber().SubscribeAsync(
            Platform.Redis.RedisChannel.Literal(servers.Channel("conn", "hung")), (_, _) => { });

        var ex = await Assert.ThrowsAsync<TimeoutException>(() => servers[0].AddToGroupAsync("hung", "g", Ct)).WithTimeout();
        Assert.Contains("'hung'", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task SendUserReachesTheUsersConnectionsOnEveryServer(int count)
    {
        await using var servers = TestServers.Create(redis.ConnectionString, count);
        var userA = await ConnectOnePerServerAsync(servers, "userA");
        var userB = await ConnectOnePerServerAsync(servers, "userB");

        await servers[0].SendUserAsync("userA", "Hello", ["World"], Ct).WithTimeout();
        await servers[0].SendUsersAsync(["userB"], "Hello", ["B"], Ct).WithTimeout();

        foreach (var a in userA)
        {
            (await a.ReadInvocationAsync()).AssertHello();
        }

        foreach (var b in userB)
        {
            (await b.ReadInvocationAsync()).AssertHello("B");
        }

        Array.ForEach([.. userA, .. userB], c => c.Dispose());
    }

    [Fact]
    public async Task AUserStaysSubscribedWhileOneOfItsConnectionsRemains()
    {
        await using var servers = TestServers.Create(redis.ConnectionString, 2);
        using var a1 = new TestClient("userA");
        using var a2 = new TestClient("userA");
        await servers[0].OnConnectedAsync(a1.Connection).WithTimeout();
        await servers[0].OnConnectedAsync(a2.Connection).WithTimeout();

        await servers[0].OnDisconnectedAsync(a1.Connection).WithTimeout();
        Assert.Equal(1, await redis.SubscribersAsync(servers.Channel("user", "userA")));
        await servers[1].SendUserAsync("userA", "Hello", ["World"], Ct).WithTimeout();
        (await a2.ReadInvocationAsync()).AssertHello();

        await servers[0].OnDisconnectedAsync(a2.Connection).WithTimeout();
        Assert.Equal(0, await redis.SubscribersAsync(servers.Channel("user", "userA")));
        Assert.Equal(0, await redis.SubscribersAsync(servers.Channel("conn", a2.Id)));
    }

    [Fact]
    public async Task WritingToARemoteConnectionThatFailsDoesNotThrow()
    {
        await using var servers = TestServers.Create(redis.ConnectionString, 2);
        using var failing = new TestClient(failWrites: true);
        await servers[1].OnConnectedAsync(failing.Connection).WithTimeout();

        await servers[0].SendConnectionAsync(failing.Id, "Hello", ["World"], Ct).WithTimeout();
    }

    [Fact]
    public async Task AGarbageMessageOnAChannelIsLoggedAndDeliveryGoesOn()
    {
        await using var servers = TestServers.Create(redis.ConnectionString, 2);
        using var client = new TestClient();
        await servers[1].OnConnectedAsync(client.Connection).WithTimeout();
        await using var raw = await Platform.Redis.ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        await raw.GetSubscriber().PublishAsync(
            Platform.Redis.RedisChannel.Literal($"{servers.Prefix}:{typeof(TestHub).FullName}:all"), new byte[] { 9, 9, 9 });

        await servers[0].SendAllAsync("Hello", ["World"], Ct).WithTimeout();

        (await client.ReadInvocationAsync()).AssertHello();
        Assert.Contains(servers.Logs.Entries, e => e.Message.Contains("could not handle a message", StringComparison.Ordinal));
    }
}
