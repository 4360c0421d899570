using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Platform.SignalR.Redis.Tests.Infrastructure;
using Platform.TestSupport;

namespace Platform.SignalR.Redis.Tests;

public sealed class SentinelFixture : IAsyncLifetime
{
    public RedisTopology Topology { get; private set; } = null!;

    public async ValueTask InitializeAsync()
        => Topology = await RedisTopology.StartAsync(new RedisTopologyOptions { Replicas = 1, Sentinels = 3 });

    public async ValueTask DisposeAsync() => await Topology.DisposeAsync();
}

public sealed class FailoverTests(SentinelFixture sentinel) : IClassFixture<SentinelFixture>
{
    [Fact]
    public async Task DuringASentinelFailoverSendsNeverThrowDeliveryResumesAndTheApplicationIsTold()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var servers = TestServers.Create(sentinel.Topology.ConnectionString, 2);
        var resynchronized = new[] { NewSignal(), NewSignal() };
        for (var i = 0; i < 2; i++)
        {
            var signal = resynchronized[i];
            servers.Services(i).GetRequiredService<IBackplaneEvents>().Resynchronize += (_, e) => signal.TrySetResult(e);
        }

        using var receiver = new TestClient();
        await servers[1].OnConnectedAsync(receiver.Connection).WithTimeout();
        await servers[1].AddToGroupAsync(receiver.Id, "room", ct).WithTimeout();

        // The sender keeps sending through the failover; any exception would end the loop and fail the test.
        using var stop = new CancellationTokenSource();
        var sent = 0;
        var sender = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var seq = Interlocked.Increment(ref sent);
                await servers[0].SendGroupAsync("room", "Hello", [seq.ToString(System.Globalization.CultureInfo.InvariantCulture)], ct);
                await Task.Delay(10, ct);
            }
        }, ct);

        await WaitForMessageAfterAsync(receiver, 0);
        await sentinel.Topology.FailoverAsync(ct: ct);
        var events = await Task.WhenAll(resynchronized.Select(r => r.Task)).WaitAsync(TimeSpan.FromSeconds(30), ct);
        Assert.All(events, e => Assert.Equal(typeof(TestHub), e.HubType));

        // Delivery resumes: a message sent after both servers resubscribed arrives.
        await WaitForMessageAfterAsync(receiver, Volatile.Read(ref sent));
        await stop.CancelAsync();
        await sender.WaitAsync(TimeSpan.FromSeconds(10), ct);

        var outageLogs = servers.Logs.Entries.Count(e => e.Message.Contains("lost Redis", StringComparison.Ordinal));
        Assert.True(outageLogs <= 2, $"the outage was logged {outageLogs} times by two servers");
    }

    private static TaskCompletionSource<BackplaneResynchronizeEventArgs> NewSignal()
        => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static async Task WaitForMessageAfterAsync(TestClient client, int sequence)
    {
        while (true)
        {
            var message = Assert.IsType<InvocationMessage>(await client.ReadAsync(TimeSpan.FromSeconds(20)));
            if (int.Parse((string)message.Arguments[0]!, System.Globalization.CultureInfo.InvariantCulture) > sequence)
            {
                return;
            }
        }
    }
}
