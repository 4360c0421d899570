using System.Net;
using Platform.Redis.Failover;
using StackExchange.Redis;

namespace Sync.Api.Tests;

/// <summary>
/// The backplane's publishes when a failover left a process's subscription on a node that is a replica now (the
/// fault suite saw it after a frozen master and after SENTINEL FAILOVER: each Sync.Api instance listening on a
/// different node, and the messages of one never reaching the viewers of the other).
/// </summary>
public sealed class BackplaneTests(SyncCluster cluster)
{
    [Fact]
    public async Task APublishFromAProcessWhoseSubscriptionSitsOnAReplicaReachesSubscribersOnTheMaster()
    {
        var ct = TestContext.Current.CancellationToken;
        await cluster.Redis.WaitUntilStableAsync(cluster.Redis.MasterPort, ct);
        var master = cluster.Redis.MasterPort;
        var replica = cluster.Redis.DataNodes.First(n => n.Port != master).Port;
        // Both nodes, as a Sentinel-managed multiplexer knows them, and the channel prefix Sync.Api gives its connection.
        ConfigurationOptions Options() => new()
        {
            EndPoints = { { "127.0.0.1", master }, { "127.0.0.1", replica } },
            Password = cluster.Redis.Password,
            ChannelPrefix = RedisChannel.Literal("sync-api:"),
        };
        await using var stale = await ConnectionMultiplexer.ConnectAsync(Options());
        await using var current = await ConnectionMultiplexer.ConnectAsync(Options());
        var channel = RedisChannel.Literal("backplane-test:" + Guid.NewGuid().ToString("N"));
        var staleReceived = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var currentReceived = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);

        await stale.GetSubscriber().SubscribeAsync(channel, (_, message) => staleReceived.TrySetResult(message!), CommandFlags.DemandReplica);
        await current.GetSubscriber().SubscribeAsync(channel, (_, message) => currentReceived.TrySetResult(message!));
        Assert.Equal(replica, ((IPEndPoint)stale.GetSubscriber().SubscribedEndpoint(channel)!).Port);
        Assert.Equal(master, ((IPEndPoint)current.GetSubscriber().SubscribedEndpoint(channel)!).Port);

        // StackExchange.Redis would send this PUBLISH over the stale process's own subscription, to the replica, whose
        // subscribers alone would hear it.
        await PublishThroughMaster.Wrap(stale).GetSubscriber().PublishAsync(channel, "paused");

        Assert.Equal("paused", await currentReceived.Task.WaitAsync(SyncCluster.Timeout, ct));
        // And the publishing process hears it too, from the replica, which replicates the master's publishes.
        Assert.Equal("paused", await staleReceived.Task.WaitAsync(SyncCluster.Timeout, ct));
    }
}
