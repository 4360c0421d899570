using Platform.TestSupport;

namespace Platform.Redis.Tests;

/// <summary>One plain redis-server (DEBUG enabled for the protocol tests) shared by the "redis" collection.</summary>
public sealed class RedisServerFixture : IAsyncLifetime
{
    public RedisTopology Topology { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var options = new RedisTopologyOptions { Replicas = 0, Sentinels = 0 };
        options.ExtraConfig.Add("enable-debug-command yes");
        options.ExtraConfig.Add("proto-max-bulk-len 64mb");
        Topology = await RedisTopology.StartAsync(options);
    }

    public async ValueTask DisposeAsync() => await Topology.DisposeAsync();

    public Task<ConnectionMultiplexer> ConnectAsync(string extra = "") =>
        ConnectionMultiplexer.ConnectAsync(Topology.ConnectionString + extra);
}

[CollectionDefinition("redis")]
public sealed class RedisCollection : ICollectionFixture<RedisServerFixture>;

/// <summary>Master, replica and three Sentinels; failover tests disturb it, so it has its own collection.</summary>
public sealed class SentinelFixture : IAsyncLifetime
{
    public RedisTopology Topology { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Topology = await RedisTopology.StartAsync();

    public async ValueTask DisposeAsync() => await Topology.DisposeAsync();
}

[CollectionDefinition("failover")]
public sealed class FailoverCollection : ICollectionFixture<SentinelFixture>;

internal static class Waits
{
    public static readonly TimeSpan Short = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    public static Task<T> Within<T>(this Task<T> task, TimeSpan? timeout = null) =>
        task.WaitAsync(timeout ?? Short, TestContext.Current.CancellationToken);

    public static Task Within(this Task task, TimeSpan? timeout = null) =>
        task.WaitAsync(timeout ?? Short, TestContext.Current.CancellationToken);
}
