using System.Collections.Concurrent;
using System.Diagnostics;
using Platform.TestSupport;

namespace Platform.Redis.Tests;

[Collection("failover")]
public sealed class FailoverTests(SentinelFixture fixture)
{
    [Fact]
    public Task ClientFollowsASentinelFailoverUnderLoad() =>
        RunFailoverAsync("SENTINEL FAILOVER", t => t.FailoverAsync(waitForReplicas: false), restartOld: false);

    [Fact]
    public Task ClientFollowsAKilledMasterUnderLoad() =>
        RunFailoverAsync("kill -9 of the master", async t =>
        {
            var old = await t.KillMasterAsync();
            return await t.WaitForNewMasterAsync(old);
        }, restartOld: true);

    private async Task RunFailoverAsync(string what, Func<RedisTopology, Task<int>> disturb, bool restartOld)
    {
        var topology = fixture.Topology;
        var output = TestContext.Current.TestOutputHelper!;
        await topology.WaitUntilStableAsync(topology.MasterPort).Within(Waits.Long);
        var oldMaster = topology.MasterPort;
        await using var mux = await ConnectionMultiplexer.ConnectAsync(topology.ConnectionString + ",syncTimeout=2000,connectTimeout=1000").Within();
        var db = mux.GetDatabase();
        var script = new RedisScript("return redis.call('INCR', KEYS[1])");
        var scriptKey = "fo:script:" + Guid.NewGuid();
        Assert.Equal(1, (long)await db.ScriptEvaluateAsync(script, [scriptKey]).Within());
        // Replication is asynchronous: without the replica's acknowledgement this write may be lost in the failover.
        Assert.Equal(1, await db.WaitAsync(1, TimeSpan.FromSeconds(5)).Within());

        var channel = RedisChannel.Literal("fo:" + Guid.NewGuid());
        var messages = System.Threading.Channels.Channel.CreateUnbounded<string>();
        await mux.GetSubscriber().SubscribeAsync(channel, (_, v) => messages.Writer.TryWrite(v.ToString())).Within();
        var restored = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        mux.SubscriptionsRestored += (_, _) => restored.TrySetResult();
        var masterChanged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        mux.MasterChanged += (_, _) => masterChanged.TrySetResult();

        var clock = Stopwatch.StartNew();
        var successes = new ConcurrentQueue<long>();
        var wrongReplies = 0;
        var failures = 0;
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, 6).Select(w => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var key = $"fo:{w}:{i}";
                var expected = $"{w}/{i}";
                try
                {
                    await db.StringSetAsync(key, expected);
                    var got = await db.StringGetAsync(key);
                    if (!got.IsNull && got.ToString() != expected)
                    {
                        Interlocked.Increment(ref wrongReplies);
                    }

                    successes.Enqueue(clock.ElapsedMilliseconds);
                }
                catch (Exception e) when (e is RedisConnectionException or RedisTimeoutException or RedisServerException)
                {
                    Interlocked.Increment(ref failures);
                    await Task.Delay(5);
                }
            }
        })).ToArray();

        while (successes.Count < 200)
        {
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }

        var disturbedAt = clock.ElapsedMilliseconds;
        var newMaster = await disturb(topology).Within(Waits.Long);
        await masterChanged.Task.Within(Waits.Long);
        var countAfter = successes.Count;
        while (successes.Count < countAfter + 200)
        {
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }

        await stop.CancelAsync();
        await Task.WhenAll(workers).Within(Waits.Long);

        Assert.NotEqual(oldMaster, newMaster);
        Assert.Equal(newMaster, ((System.Net.DnsEndPoint)mux.CurrentEndPoint!).Port);
        Assert.Equal(0, wrongReplies);

        // Writes work again on the new master, scripts reload there, pub/sub resumes.
        Assert.True(await db.StringSetAsync("fo:after", "ok").Within());
        Assert.Equal(2, (long)await db.ScriptEvaluateAsync(script, [scriptKey]).Within());
        await restored.Task.Within(Waits.Long);
        Assert.Equal(1, await db.PublishAsync(channel, "resumed").Within());
        Assert.Equal("resumed", await messages.Reader.ReadAsync(TestContext.Current.CancellationToken).AsTask().Within());

        var times = successes.Where(t => t >= disturbedAt - 1000).Order().ToArray();
        var window = times.Zip(times.Skip(1), (a, b) => b - a).DefaultIfEmpty(0).Max();
        output.WriteLine($"{what}: unavailability window {window} ms (longest gap between successful SET+GET pairs), " +
            $"{failures} failed commands, {successes.Count} successful pairs, master {oldMaster} -> {newMaster}");
        Console.WriteLine($"[failover] {what}: unavailability window {window} ms, {failures} failed commands");

        if (restartOld)
        {
            await topology.RestartNodeAsync(oldMaster).Within(Waits.Long);
        }

        await topology.WaitUntilStableAsync(newMaster).Within(Waits.Long);
    }
}

[Collection("failover")]
public sealed class RoleErrorTests(SentinelFixture fixture)
{
    [Fact]
    public async Task WriteToAReplicaFailsAsAConnectionErrorCarryingTheServersReadOnlyReply()
    {
        var replica = fixture.Topology.DataNodes.First(n => n.Port != fixture.Topology.MasterPort);
        await using var mux = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{replica.Port},password={fixture.Topology.Password}").Within();
        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => mux.GetDatabase().StringSetAsync("role:" + Guid.NewGuid(), "x")).Within();
        Assert.Equal(ConnectionFailureType.MasterChanged, error.FailureType);
        var reply = Assert.IsType<RedisServerException>(error.InnerException);
        Assert.StartsWith("READONLY", reply.Message, StringComparison.Ordinal);
    }
}
