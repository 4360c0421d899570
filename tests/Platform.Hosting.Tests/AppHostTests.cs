using Npgsql;
using Platform.Hosting.ApplicationModel;
using Platform.Hosting.Testing;

namespace Platform.Hosting.Tests;

/// <summary>The real AppHost model, started once for the collection through the testing builder.</summary>
public sealed class AppHostFixture : IAsyncLifetime
{
    public DistributedApplication App { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(TestContext.Current.CancellationToken);
        App = await builder.BuildAsync(TestContext.Current.CancellationToken);
        await App.StartAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync() => await App.DisposeAsync();
}

[CollectionDefinition(nameof(AppHostCollection))]
public sealed class AppHostCollection : ICollectionFixture<AppHostFixture>;

[Collection(nameof(AppHostCollection))]
public class AppHostTests(AppHostFixture fixture)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EveryResourceOfTheAppHostIsHealthy()
    {
        // Another test of this collection forces a failover; the Sentinels need a moment to agree again, so wait for
        // health rather than read a snapshot.
        foreach (var name in fixture.App.ResourceNotifications.GetSnapshots().Select(s => s.Name))
        {
            await fixture.App.ResourceNotifications.WaitForResourceHealthyAsync(name, Token).WaitAsync(TimeSpan.FromSeconds(60), Token);
        }

        var snapshots = fixture.App.ResourceNotifications.GetSnapshots();
        // The services join the model as they land; the infrastructure is always there.
        Assert.Subset(snapshots.Select(s => s.Name).ToHashSet(), new HashSet<string> { "redis-password", "redis", "redis-sentinel", "postgres-password", "postgres", "syncdb" });
        Assert.All(snapshots, s => Assert.True(s.IsHealthy, s.ToString()));
        var redis = snapshots.Single(s => s.Name == "redis");
        Assert.Equal(["redis-0", "redis-1"], redis.Instances.Select(i => i.Name));
        Assert.Equal(3, snapshots.Single(s => s.Name == "redis-sentinel").Instances.Count);
    }

    [Fact]
    public async Task RedisConnectionStringReachesTheMasterThroughTheSentinels()
    {
        var connectionString = await fixture.App.GetConnectionStringAsync("redis", Token);
        Assert.Contains("serviceName=mymaster", connectionString, StringComparison.Ordinal);
        Assert.Equal(3, connectionString!.Split(',').Count(p => !p.Contains('=', StringComparison.Ordinal)));

        await using var master = await SentinelClient.ConnectToMasterAsync(connectionString, Token).WaitAsync(TimeSpan.FromSeconds(10), Token);
        Assert.Equal("OK", await master.ExecuteAsync(Token, "SET", "hosting:test", "value"));
        Assert.Equal("value", await master.ExecuteAsync(Token, "GET", "hosting:test"));
        Assert.Equal("536870912", ((object?[])(await master.ExecuteAsync(Token, "CONFIG", "GET", "maxmemory"))!)[1]);
        Assert.Equal("allkeys-lru", ((object?[])(await master.ExecuteAsync(Token, "CONFIG", "GET", "maxmemory-policy"))!)[1]);
        Assert.Equal("yes", ((object?[])(await master.ExecuteAsync(Token, "CONFIG", "GET", "appendonly"))!)[1]);
    }

    [Fact]
    public async Task RedisWithoutThePasswordIsRefused()
    {
        var connectionString = await fixture.App.GetConnectionStringAsync("redis", Token);
        var (host, port) = await SentinelClient.ResolveMasterAsync(connectionString!, Token).WaitAsync(TimeSpan.FromSeconds(10), Token);
        await using var anonymous = await Platform.Hosting.Orchestration.RespConnection.ConnectAsync(host, port, password: null, Token);
        var reply = await anonymous.ExecuteAsync(Token, "GET", "hosting:test");
        Assert.Contains("NOAUTH", Assert.IsType<Platform.Hosting.Orchestration.RespError>(reply).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RedisConnectionStringSurvivesAForcedFailover()
    {
        var connectionString = (await fixture.App.GetConnectionStringAsync("redis", Token))!;
        var before = await SentinelClient.ResolveMasterAsync(connectionString, Token).WaitAsync(TimeSpan.FromSeconds(10), Token);
        await using (var master = await SentinelClient.ConnectToMasterAsync(connectionString, Token))
        {
            await master.ExecuteAsync(Token, "SET", "hosting:failover", "kept");
            Assert.Equal(1L, await master.ExecuteAsync(Token, "WAIT", "1", "5000"));
        }

        var newMaster = await fixture.App.ForceFailoverAsync("redis", Token).WaitAsync(TimeSpan.FromSeconds(60), Token);

        Assert.NotEqual($"{before.Host}:{before.Port}", newMaster);
        await using var promoted = await SentinelClient.ConnectToMasterAsync(connectionString, Token).WaitAsync(TimeSpan.FromSeconds(10), Token);
        Assert.Equal("kept", await promoted.ExecuteAsync(Token, "GET", "hosting:failover"));
        Assert.Equal("OK", await promoted.ExecuteAsync(Token, "SET", "hosting:after-failover", "written"));
        await fixture.App.ResourceNotifications.WaitForResourceHealthyAsync("redis", Token).WaitAsync(TimeSpan.FromSeconds(60), Token);
    }

    [Fact]
    public async Task PostgresConnectionStringOpensSyncDb()
    {
        var connectionString = await fixture.App.GetConnectionStringAsync("syncdb", Token);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Token).WaitAsync(TimeSpan.FromSeconds(10), Token);
        await using var command = new NpgsqlCommand("SELECT current_database()", connection);
        Assert.Equal("syncdb", await command.ExecuteScalarAsync(Token));
    }

    [Fact]
    public async Task PostgresRefusesAWrongPassword()
    {
        var builder = new NpgsqlConnectionStringBuilder(await fixture.App.GetConnectionStringAsync("syncdb", Token)) { Password = "wrong", Pooling = false };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        var ex = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync(Token).WaitAsync(TimeSpan.FromSeconds(10), Token));
        Assert.Equal("28P01", ex.SqlState);
    }

    [Fact]
    public async Task UnknownResourceNamesFailAtOnce()
    {
        Assert.Throws<KeyNotFoundException>(() => fixture.App.GetEndpoint("reddis"));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => fixture.App.ResourceNotifications.WaitForResourceHealthyAsync("reddis", Token));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => fixture.App.StopResourceAsync("reddis", Token));
    }

    [Fact]
    public void EachResourcesOutputIsCapturedInMemoryAndInTheStateFolder()
    {
        var lines = fixture.App.GetResourceLogs("redis-sentinel-0");
        Assert.Contains(lines, l => l.Text.Contains("+monitor master mymaster", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(fixture.App.StateDirectory, "logs", "redis-sentinel-0.log")));
    }
}
