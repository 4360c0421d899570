using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Platform.TestSupport;
using Prices.Ingest.Publishing;
using Prices.Ingest.Tests.Fakes;
using StackExchange.Redis;
using static Prices.Ingest.Tests.Fakes.TestTimeouts;

namespace Prices.Ingest.Tests.Redis;

/// <summary>One master, one replica and three Sentinels (real processes) shared by every Redis test in the collection.</summary>
public sealed class RedisFixture : IAsyncLifetime
{
    public RedisTopology Topology { get; private set; } = null!;

    /// <summary>A client of the tests' own, to check what Prices.Ingest wrote.</summary>
    public ConnectionMultiplexer Client { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Topology = await RedisTopology.StartAsync();
        Client = await ConnectionMultiplexer.ConnectAsync(Topology.ConnectionString);
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await Topology.DisposeAsync();
    }

    /// <summary>A writer of the test's own on this Redis: its lease, the publisher fenced by it and the backlog it back-fills from.</summary>
    public (WriterLease Lease, RedisPricePublisher Publisher, TickBacklog Backlog) Writer(string instanceId, TimeSpan lease, int backlogCapacity = 2_400)
    {
        var options = Options.Create(new PublishingOptions { InstanceId = instanceId, LeaseDuration = lease, BacklogCapacity = backlogCapacity });
        var writerLease = new WriterLease(Client, options, TimeProvider.System, NullLogger<WriterLease>.Instance);
        var metrics = TestMetrics.Create();
        var backlog = new TickBacklog(options, writerLease, metrics, NullLogger<TickBacklog>.Instance);
        return (writerLease, new RedisPricePublisher(Client, backlog, options, metrics, NullLogger<RedisPricePublisher>.Instance), backlog);
    }

    /// <summary>Subscribes the tests' client to the price channel Prices.Ingest publishes on.</summary>
    public Task<ChannelMessageQueue> SubscribeToPricesAsync() =>
        Client.GetSubscriber().SubscribeAsync(RedisChannel.Literal("prices:btc:usd")).WaitAsync(Wait, Ct);

    /// <summary>Removes every key Prices.Ingest writes, so each test starts from nothing.</summary>
    public Task ResetAsync() => Client.GetDatabase().KeyDeleteAsync(
        ["price:btc:usd", "prices:btc:usd:ts", "prices:btc:usd:writer"]).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
}

[CollectionDefinition(Name)]
public sealed class RedisCollection : ICollectionFixture<RedisFixture>
{
    public const string Name = "redis";
}
