using Platform.SignalR.Redis.Tests.Infrastructure;

namespace Platform.SignalR.Redis.Tests;

/// <summary>What any HubLifetimeManager must do on one server (here backed by a real Redis).</summary>
public sealed class LifetimeManagerSpecTests(RedisFixture redis)
{
    [Fact]
    public async Task SendAllWritesToEveryConnection()
    {
        await using var servers = TestServers.Create(redis.ConnectionString, 1);
        using var client1 = new TestClient();
        using var client2 = new TestClient();
        await servers[0].OnConnectedAsync(client1.Connection).WithTimeout();
        await servers[0].OnConnectedAsync(client2.Connection).WithTimeout();

        await servers[0].SendAllAsync("Hello", ["World"], TestContext.Current.CancellationToken).WithTimeout();

        // Local connections are written to before the send returns: no round trip through Redis.
        Assert.IsType<Microsoft.AspNetCore.SignalR.Protocol.InvocationMessage>(client1.TryRead()).AssertHello();
        Assert.IsType<Microsoft.AspNetCore.SignalR.Protocol.InvocationMessage>(client2.TryRead()).AssertHello();
    }

    [Fact]
    public async Task SendAllDoesNotWriteToDisconnectedConnections()
    {
        await using var servers = TestServers.Create(redis.ConnectionString, 1);
        using var client1 = new TestClient();
        using var client2 = new TestClient();
        await servers[0].OnConnectedAsync(client1.Connection).WithTimeout();
        await servers[0].OnConnectedAsync(client2.Connection).WithTimeout();
        await servers[0].OnDisconnectedAsync(client2.Connection).WithTimeout();

        await servers[0].SendAllAsync("Hello", ["World"], TestContext.Current.CancellationToken).WithTimeout();

        (await client1.ReadInvocationAsync()).AssertHello();
        Assert.Null(client2.TryRead());
    }

    [Fact]
    public async Task SendAllExceptSkipsExcludedConnections()
    {
        await using var servers = TestServers.Create(redis.ConnectionString, 1);
        using var client1 = new TestClient();
        using var client2 = new TestClient();
        await servers[0].OnConnectedAsync(client1.Connection).WithTimeout();
        await servers[0].OnConnectedAsync(client2.Connection).WithTimeout();

        await servers[0].SendAllExceptAsync("Hello", ["World"], [client2.Id], TestContext.Current.CancellationToken).WithTimeout();

        (await client1.ReadInvocationAsync()).AssertHello();
        Assert.Null(client2.TryRead());
    }

    [Fact]
    public async Task SendGroupWritesOnlyToGroupMembers()
    {
        await using var servers = TestServers.Create(redis.ConnectionString, 1);
        using var member = new TestClient();
        using var outsider = new TestClient();
        await servers[0].OnConnectedAsync(member.Connection).WithTimeout();
        await servers[0].OnConnectedAsync(outsider.Connection).WithTimeout();
        await servers[0].AddToGroupAsync(member.Id, "group", TestContext.Current.CancellationToken).WithTimeout();

        await servers[0].SendGroupAsync("group", "Hello", ["World"], TestContext.Current.CancellationToken).WithTimeout();

        (await member.ReadInvocationAsync()).AssertHello();
        Assert.Null(outsider.TryRead());
    }

    [Fact]
    public async Task SendGroupExceptSkipsExcludedMembers()
    {
        await using var servers = TestServers.Create(redis.ConnectionString, 1);
        using var client1 = new TestClient();
        using var client2 = new TestClient();
        await servers[0].OnConnectedAsync(client1.Connection).WithTimeout();
        await servers[0].OnConnectedAsync(client2.Connection).WithTimeout();
        await servers[0].AddToGroupAsync(client1.Id, "group1", TestContext.Current.CancellationToken).WithTimeout();
        await servers[0].AddToGroupAsync(client2.Id, "group1", TestContext.Current.CancellationToken).WithTimeout();

        await servers[0].SendGroupExceptAsync("group1", "Hello", ["World"], [client2.Id], TestContext.Current.CancellationToken).WithTimeout();

        (await client1.ReadInvocationAsync()).AssertHello();
        Assert.Null(client2.TryRead());
    }

    [Fact]
    public async Task SendConnectionWritesToThatConnection()
    {
        await using var servers = TestServers.Create(redis.ConnectionString, 1);
        using var client = new TestClient();
        await servers[0].OnConnectedAsync(client.Connection).WithTimeout();

        await servers[0].SendConnectionAsync(client.Id, "Hello", ["World"], TestContext.Current.CancellationToken).WithTimeout();

        Assert.IsType<Microsoft.AspNetCore.SignalR.Protocol.InvocationMessage>(client.TryRead()).AssertHello();
    }

    [Fact]
    public async Task SendToUnknownConnectionGroupOrUserIsANoOp()
    {
        await using var servers = TestServers.Create(redis.ConnectionString, 1);
        var ct = TestContext.Current.CancellationToken;

        await servers[0].SendConnectionAsync("nobody", "Hello", ["World"], ct).WithTimeout();
        await servers[0].SendConnectionsAsync(["nobody", "none"], "Hello", ["World"], ct).WithTimeout();
        await servers[0].SendGroupAsync("empty", "Hello", ["World"], ct).WithTimeout();
        await servers[0].SendGroupsAsync(["empty", "void"], "Hello", ["World"], ct).WithTimeout();
        await servers[0].SendUserAsync("ghost", "Hello", ["World"], ct).WithTimeout();
    }

    [Fact]
    public async Task GroupChangesForUnknownConnectionReturnAtOnceInsteadOfWaitingForAnAck()
    {
        // An hour-long acknowledgement timeout: only the "no server owns it" answer can finish within the test timeout.
        await using var servers = TestServers.Create(redis.ConnectionString, 2, o => o.AckTimeout = TimeSpan.FromHours(1));
        var ct = TestContext.Current.CancellationToken;

        await servers[0].AddToGroupAsync("nobody", "group", ct).WithTimeout();
        await servers[1].RemoveFromGroupAsync("nobody", "group", ct).WithTimeout();
    }

    [Fact]
    public async Task SendUserWritesToEveryConnectionOfTheUser()
    {
        await using var servers = TestServers.Create(redis.ConnectionString, 1);
        using var a1 = new TestClient(userId: "userA");
        using var a2 = new TestClient(userId: "userA");
        using var b = new TestClient(userId: "userB");
        foreach (var c in new[] { a1, a2, b })
        {
            await servers[0].OnConnectedAsync(c.Connection).WithTimeout();
        }

        await servers[0].SendUserAsync("userA", "Hello", ["World"], TestContext.Current.CancellationToken).WithTimeout();

        (await a1.ReadInvocationAsync()).AssertHello();
        (await a2.ReadInvocationAsync()).AssertHello();
        Assert.Null(b.TryRead());
    }

    [Fact]
    public async Task RemovingALocalConnectionFromAGroupItIsNotInDoesNothing()
    {
        await using var servers = TestServers.Create(redis.ConnectionString, 1);
        using var client = new TestClient();
        await servers[0].OnConnectedAsync(client.Connection).WithTimeout();

        await servers[0].RemoveFromGroupAsync(client.Id, "name", TestContext.Current.CancellationToken).WithTimeout();
    }

    [Fact]
    public async Task AddingALocalConnectionTwiceDeliversOnce()
    {
        await using var servers = TestServers.Create(redis.ConnectionString, 1);
        using var client = new TestClient();
        await servers[0].OnConnectedAsync(client.Connection).WithTimeout();
        await servers[0].AddToGroupAsync(client.Id, "name", TestContext.Current.CancellationToken).WithTimeout();
        await servers[0].AddToGroupAsync(client.Id, "name", TestContext.Current.CancellationToken).WithTimeout();

        await servers[0].SendGroupAsync("name", "Hello", ["World"], TestContext.Current.CancellationToken).WithTimeout();

        (await client.ReadInvocationAsync()).AssertHello();
        Assert.Null(client.TryRead());
    }

    [Fact]
    public async Task DisconnectRemovesTheConnectionFromItsGroups()
    {
        await using var servers = TestServers.Create(redis.ConnectionString, 1);
        using var client = new TestClient();
        await servers[0].OnConnectedAsync(client.Connection).WithTimeout();
        await servers[0].AddToGroupAsync(client.Id, "name", TestContext.Current.CancellationToken).WithTimeout();
        await servers[0].OnDisconnectedAsync(client.Connection).WithTimeout();

        await servers[0].SendGroupAsync("name", "Hello", ["World"], TestContext.Current.CancellationToken).WithTimeout();

        Assert.Null(client.TryRead());
        Assert.Equal(0, await redis.SubscribersAsync(servers.Channel("group", "name")));
    }

    [Fact]
    public async Task AFailingConnectionDoesNotStopAGroupSend()
    {
        await using var servers = TestServers.Create(redis.ConnectionString, 1);
        using var failing = new TestClient(failWrites: true);
        using var healthy = new TestClient();
        await servers[0].OnConnectedAsync(failing.Connection).WithTimeout();
        await servers[0].AddToGroupAsync(failing.Id, "group", TestContext.Current.CancellationToken).WithTimeout();
        await servers[0].OnConnectedAsync(healthy.Connection).WithTimeout();
        await servers[0].AddToGroupAsync(healthy.Id, "group", TestContext.Current.CancellationToken).WithTimeout();

        await servers[0].SendGroupAsync("group", "Hello", ["World"], TestContext.Current.CancellationToken).WithTimeout();
        (await healthy.ReadInvocationAsync()).AssertHello();
        await servers[0].SendGroupAsync("group", "Hello", ["Again"], TestContext.Current.CancellationToken).WithTimeout();
        (await healthy.ReadInvocationAsync()).AssertHello("Again");
    }

    [Fact]
    public async Task WritingToAFailingLocalConnectionThrows()
    {
        await using var servers = TestServers.Create(redis.ConnectionString, 1);
        using var failing = new TestClient(failWrites: true);
        await servers[0].OnConnectedAsync(failing.Connection).WithTimeout();

        await Assert.ThrowsAsync<InvalidOperationException>(
            () => servers[0].SendConnectionAsync(failing.Id, "Hello", ["World"], TestContext.Current.CancellationToken)).WithTimeout();
    }
}
