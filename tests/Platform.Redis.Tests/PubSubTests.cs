using System.Collections.Concurrent;

namespace Platform.Redis.Tests;

[Collection("redis")]
public sealed class PubSubTests(RedisServerFixture fixture)
{
    [Fact]
    public async Task MessagesOfAChannelArriveInPublishOrder()
    {
        await using var mux = await fixture.ConnectAsync().Within();
        var channel = RedisChannel.Literal("order:" + Guid.NewGuid());
        var received = new ConcurrentQueue<long>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await mux.GetSubscriber().SubscribeAsync(channel, (_, v) =>
        {
            received.Enqueue((long)v);
            if (received.Count == 2000)
            {
                done.TrySetResult();
            }
        }).Within();
        var db = mux.GetDatabase();
        var publishes = Enumerable.Range(0, 2000).Select(i => db.PublishAsync(channel, i)).ToArray();
        Assert.All(await Task.WhenAll(publishes).Within(), n => Assert.Equal(1, n));
        await done.Task.Within();
        Assert.Equal(Enumerable.Range(0, 2000).Select(i => (long)i), received);
    }

    [Fact]
    public async Task PatternSubscriptionsReceiveTheConcreteChannel()
    {
        await using var mux = await fixture.ConnectAsync().Within();
        var prefix = "pat:" + Guid.NewGuid().ToString("N");
        var queue = await mux.GetSubscriber().SubscribeAsync(RedisChannel.Pattern(prefix + ":*")).Within();
        await mux.GetDatabase().PublishAsync(prefix + ":a", "1").Within();
        await mux.GetDatabase().PublishAsync("other", "x").Within();
        await mux.GetDatabase().PublishAsync(prefix + ":b", "2").Within();
        var first = await queue.ReadAsync(TestContext.Current.CancellationToken).AsTask().Within();
        var second = await queue.ReadAsync(TestContext.Current.CancellationToken).AsTask().Within();
        Assert.Equal((prefix + ":a", "1"), (first.Channel.Name, first.Message.ToString()));
        Assert.Equal((prefix + ":b", "2"), (second.Channel.Name, second.Message.ToString()));
        Assert.True(first.SubscriptionChannel.IsPattern);
    }

    [Fact]
    public async Task HandlersAreReferenceCountedPerChannel()
    {
        await using var mux = await fixture.ConnectAsync().Within();
        var sub = mux.GetSubscriber();
        var channel = RedisChannel.Literal("rc:" + Guid.NewGuid());
        var a = 0;
        var b = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        Action<RedisChannel, RedisValue> handlerA = (_, _) => Interlocked.Increment(ref a);
        await sub.SubscribeAsync(channel, handlerA).Within();
        await sub.SubscribeAsync(channel, (_, v) => b.TrySetResult(v.ToString())).Within();
        await sub.UnsubscribeAsync(channel, handlerA).Within();
        Assert.Equal(1, await sub.PublishAsync(channel, "still").Within()); // the server is still subscribed
        Assert.Equal("still", await b.Task.Within());
        await sub.UnsubscribeAsync(channel).Within();
        Assert.Equal(0, await sub.PublishAsync(channel, "gone").Within());
        Assert.Equal(0, Volatile.Read(ref a));
    }

    [Fact]
    public async Task SubscriptionsComeBackAfterClientKill()
    {
        await using var mux = await fixture.ConnectAsync().Within();
        await AssertResubscribes(mux, () => fixture.Topology.ClientKillAllAsync());
    }

    [Fact]
    public async Task SubscriptionsComeBackAfterAServerRestart()
    {
        await using var mux = await fixture.ConnectAsync().Within();
        await AssertResubscribes(mux, () => fixture.Topology.RestartNodeAsync(fixture.Topology.MasterPort));
    }

    private static async Task AssertResubscribes(ConnectionMultiplexer mux, Func<Task> disturb)
    {
        var channel = RedisChannel.Literal("resub:" + Guid.NewGuid());
        var messages = System.Threading.Channels.Channel.CreateUnbounded<string>();
        await mux.GetSubscriber().SubscribeAsync(channel, (_, v) => messages.Writer.TryWrite(v.ToString())).Within();
        var restored = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var failed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        mux.SubscriptionsRestored += (_, _) => restored.TrySetResult();
        mux.ConnectionFailed += (_, _) => failed.TrySetResult();
        await disturb().Within(Waits.Long);
        await failed.Task.Within();
        await restored.Task.Within();
        var db = mux.GetDatabase();
        Assert.Equal(1, await db.PublishAsync(channel, "after").Within());
        Assert.Equal("after", await messages.Reader.ReadAsync(TestContext.Current.CancellationToken).AsTask().Within());
    }
}
