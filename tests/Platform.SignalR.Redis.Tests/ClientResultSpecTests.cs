using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Platform.SignalR.Redis.Tests.Infrastructure;

namespace Platform.SignalR.Redis.Tests;

/// <summary>Client results (InvokeConnectionAsync) on the connection's own server and across servers.</summary>
public sealed class ClientResultSpecTests(RedisFixture redis)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AClientResultReachesTheCaller(bool acrossServers)
    {
        await using var servers = TestServers.Create(redis.ConnectionString, 2);
        using var client = new TestClient();
        await servers[0].OnConnectedAsync(client.Connection).WithTimeout();
        var caller = servers[acrossServers ? 1 : 0];

        var result = caller.InvokeConnectionAsync<int>(client.Id, "Result", ["test"], Ct);
        var invocation = await client.ReadInvocationAsync();
        Assert.NotNull(invocation.InvocationId);
        Assert.Equal("test", invocation.Arguments[0]);
        Assert.True(servers[0].TryGetReturnType(invocation.InvocationId!, out var type));
        Assert.Equal(acrossServers ? typeof(RawResult) : typeof(int), type);
        await servers[0].SetConnectionResultAsync(client.Id, CompletionMessage.WithResult(invocation.InvocationId, 10)).WithTimeout();

        Assert.Equal(10, await result.WithTimeout());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AClientErrorBecomesAHubException(bool acrossServers)
    {
        await using var servers = TestServers.Create(redis.ConnectionString, 2);
        using var client = new TestClient();
        await servers[0].OnConnectedAsync(client.Connection).WithTimeout();

        var result = servers[acrossServers ? 1 : 0].InvokeConnectionAsync<int>(client.Id, "Result", ["test"], Ct);
        var invocation = await client.ReadInvocationAsync();
        await servers[0].SetConnectionResultAsync(client.Id, CompletionMessage.WithError(invocation.InvocationId!, "Error from client")).WithTimeout();

        var ex = await Assert.ThrowsAsync<HubException>(() => result).WithTimeout();
        Assert.Equal("Error from client", ex.Message);
    }

    [Fact]
    public async Task AResultOfTheWrongTypeFromAnotherServerIsAHubException()
    {
        await using var servers = TestServers.Create(redis.ConnectionString, 2);
        using var client = new TestClient();
        await servers[0].OnConnectedAsync(client.Connection).WithTimeout();

        var result = servers[1].InvokeConnectionAsync<int>(client.Id, "Result", ["test"], Ct);
        var invocation = await client.ReadInvocationAsync();
        await servers[0].SetConnectionResultAsync(client.Id, CompletionMessage.WithResult(invocation.InvocationId!, "wrong type")).WithTimeout();

        var ex = await Assert.ThrowsAsync<HubException>(() => result).WithTimeout();
        Assert.StartsWith("Error trying to deserialize result to Int32.", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AResultFromTheWrongConnectionIsRejectedAndTheInvocationStillCompletes(bool acrossServers)
    {
        await using var servers = TestServers.Create(redis.ConnectionString, 2);
        using var client1 = new TestClient();
        using var client2 = new TestClient();
        await servers[0].OnConnectedAsync(client1.Connection).WithTimeout();
        await servers[0].OnConnectedAsync(client2.Connection).WithTimeout();

        var result = servers[acrossServers ? 1 : 0].InvokeConnectionAsync<int>(client1.Id, "Result", ["test"], Ct);
        var invocation = await client1.ReadInvocationAsync();
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(
            () => servers[0].SetConnectionResultAsync(client2.Id, CompletionMessage.WithResult(invocation.InvocationId!, 1))).WithTimeout();
        Assert.Equal($"Connection ID '{client2.Id}' is not valid for invocation ID '{invocation.InvocationId}'.", ex.Message);

        await servers[0].SetConnectionResultAsync(client1.Id, CompletionMessage.WithResult(invocation.InvocationId!, 10)).WithTimeout();
        Assert.Equal(10, await result.WithTimeout());
    }

    [Fact]
    public async Task InvokingAConnectionNoServerHasFailsAtOnce()
    {
        await using var servers = TestServers.Create(redis.ConnectionString, 2, o => o.ClientResultTimeout = TimeSpan.FromHours(1));
        using var client = new TestClient();
        await servers[0].OnConnectedAsync(client.Connection).WithTimeout();

        var ex = await Assert.ThrowsAsync<IOException>(() => servers[1].InvokeConnectionAsync<int>("1234", "Result", ["test"], Ct)).WithTimeout();
        Assert.Equal("Connection '1234' does not exist.", ex.Message);
    }

    [Fact]
    public async Task InvocationsOfDifferentConnectionsDoNotCollide()
    {
        await using var servers = TestServers.Create(redis.ConnectionString, 1);
        using var client1 = new TestClient();
        using var client2 = new TestClient();
        await servers[0].OnConnectedAsync(client1.Connection).WithTimeout();
        await servers[0].OnConnectedAsync(client2.Connection).WithTimeout();

        var invoke1 = servers[0].InvokeConnectionAsync<int>(client1.Id, "Result", ["test"], Ct);
        var invoke2 = servers[0].InvokeConnectionAsync<int>(client2.Id, "Result", ["test"], Ct);
        var invocation1 = await client1.ReadInvocationAsync();
        var invocation2 = await client2.ReadInvocationAsync();
        await servers[0].SetConnectionResultAsync(client2.Id, CompletionMessage.WithError(invocation2.InvocationId!, "error")).WithTimeout();

        await Assert.ThrowsAnyAsync<Exception>(() => invoke2).WithTimeout();
        Assert.False(invoke1.IsCompleted);
        await servers[0].SetConnectionResultAsync(client1.Id, CompletionMessage.WithResult(invocation1.InvocationId!, 3)).WithTimeout();
        Assert.Equal(3, await invoke1.WithTimeout());
    }

    [Fact]
    public async Task InvocationsFromDifferentServersUseDifferentIds()
    {
        await using var servers = TestServers.Create(redis.ConnectionString, 2);
        using var client = new TestClient();
        await servers[0].OnConnectedAsync(client.Connection).WithTimeout();

        var invoke1 = servers[0].InvokeConnectionAsync<int>(client.Id, "Result", ["test"], Ct);
        var invocation1 = await client.ReadInvocationAsync();
        var invoke2 = servers[1].InvokeConnectionAsync<int>(client.Id, "Result", ["test"], Ct);
        var invocation2 = await client.ReadInvocationAsync();
        Assert.NotEqual(invocation1.InvocationId, invocation2.InvocationId);

        await servers[0].SetConnectionResultAsync(client.Id, CompletionMessage.WithResult(invocation2.InvocationId!, 5)).WithTimeout();
        await servers[0].SetConnectionResultAsync(client.Id, CompletionMessage.WithResult(invocation1.InvocationId!, 2)).WithTimeout();
        Assert.Equal(2, await invoke1.WithTimeout());
        Assert.Equal(5, await invoke2.WithTimeout());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ADisconnectFailsThePendingInvocation(bool acrossServers)
    {
        await using var servers = TestServers.Create(redis.ConnectionString, 2, o => o.ClientResultTimeout = TimeSpan.FromHours(1));
        using var client = new TestClient();
        await servers[0].OnConnectedAsync(client.Connection).WithTimeout();

        var invoke = servers[acrossServers ? 1 : 0].InvokeConnectionAsync<int>(client.Id, "Result", ["test"], Ct);
        _ = await client.ReadInvocationAsync();
        client.Connection.Abort();
        await servers[0].OnDisconnectedAsync(client.Connection).WithTimeout();

        var ex = await Assert.ThrowsAsync<IOException>(() => invoke).WithTimeout();
        Assert.Equal($"Connection '{client.Id}' disconnected.", ex.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CancelingAnInvocationTellsTheClientAndALateResultIsIgnored(bool acrossServers)
    {
        await using var servers = TestServers.Create(redis.ConnectionString, 2);
        using var client = new TestClient();
        await servers[0].OnConnectedAsync(client.Connection).WithTimeout();
        using var cts = new CancellationTokenSource();

        var invoke = servers[acrossServers ? 1 : 0].InvokeConnectionAsync<int>(client.Id, "Result", ["test"], cts.Token);
        var invocation = await client.ReadInvocationAsync();
        await cts.CancelAsync();

        var ex = await Assert.ThrowsAsync<HubException>(() => invoke).WithTimeout();
        Assert.Equal("Invocation canceled by the server.", ex.Message);
        var cancel = Assert.IsType<CancelInvocationMessage>(await client.ReadAsync());
        Assert.Equal(invocation.InvocationId, cancel.InvocationId);
        Assert.False(servers[0].TryGetReturnType(invocation.InvocationId!, out _));
        await servers[0].SetConnectionResultAsync(client.Id, CompletionMessage.WithResult(invocation.InvocationId!, 1)).WithTimeout();
    }

    [Fact]
    public async Task AnInvocationOnAnotherServerThatNeverAnswersTimesOut()
    {
        await using var servers = TestServers.Create(redis.ConnectionString, 2, o => o.ClientResultTimeout = TimeSpan.FromMilliseconds(300));
        using var client = new TestClient();
        await servers[0].OnConnectedAsync(client.Connection).WithTimeout();

        var invoke = servers[1].InvokeConnectionAsync<int>(client.Id, "Result", ["test"], Ct);
        _ = await client.ReadInvocationAsync();

        await Assert.ThrowsAsync<TimeoutException>(() => invoke).WithTimeout();
        Assert.IsType<CancelInvocationMessage>(await client.ReadAsync());
    }

    [Fact]
    public async Task AResultForAnUnknownInvocationIdIsIgnored()
    {
        await using var servers = TestServers.Create(redis.ConnectionString, 1);
        using var client = new TestClient();
        await servers[0].OnConnectedAsync(client.Connection).WithTimeout();

        Assert.False(servers[0].TryGetReturnType("no-such-id", out _));
        await servers[0].SetConnectionResultAsync(client.Id, CompletionMessage.WithResult("no-such-id", 1)).WithTimeout();
        Assert.Contains(servers.Logs.Entries, e => e.Message.Contains("unknown invocation no-such-id", StringComparison.Ordinal));
    }
}
