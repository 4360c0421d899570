using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace Platform.Redis.Tests;

[Collection("redis")]
public sealed class HostingTests(RedisServerFixture fixture)
{
    [Fact]
    public async Task AddRedisClientRegistersTheSharedConnectionAndAHealthCheck()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["ConnectionStrings:redis"] = fixture.Topology.ConnectionString;
        builder.AddRedisClient("redis");
        using var host = builder.Build();
        var mux = host.Services.GetRequiredService<IConnectionMultiplexer>();
        Assert.Same(mux, host.Services.GetRequiredService<IConnectionMultiplexer>());
        Assert.True(await mux.GetDatabase().StringSetAsync("hosting:" + Guid.NewGuid(), 1).Within());
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(TestContext.Current.CancellationToken).Within();
        Assert.Equal(HealthStatus.Healthy, report.Entries["redis"].Status);
        Assert.Equal("master", report.Entries["redis"].Data["role"]);
    }

    [Fact]
    public void AMissingOrMalformedConnectionStringFailsAtStartUp()
    {
        var missing = Host.CreateApplicationBuilder();
        Assert.Contains("ConnectionStrings:redis", Assert.Throws<InvalidOperationException>(() => missing.AddRedisClient("redis")).Message,
            StringComparison.Ordinal);
        var malformed = Host.CreateApplicationBuilder();
        malformed.Configuration["ConnectionStrings:redis"] = "127.0.0.1:6379,password=topsecret,wat=1";
        var e = Assert.ThrowsAny<ArgumentException>(() => malformed.AddRedisClient("redis"));
        Assert.Contains("wat", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("topsecret", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CommandsEmitActivitiesAndDurationMetrics()
    {
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == RedisTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        var stopped = new List<string>();
        listener.ActivityStopped = a =>
        {
            lock (stopped)
            {
                stopped.Add(a.DisplayName);
            }
        };
        ActivitySource.AddActivityListener(listener);
        await using var mux = await fixture.ConnectAsync().Within();
        await mux.GetDatabase().ExecuteAsync("ECHO", "traced").Within();
        lock (stopped)
        {
            Assert.Contains("ECHO", stopped);
        }
    }

    [Fact]
    public async Task TheHeartbeatDropsAConnectionToAFrozenServer()
    {
        await using var mux = await fixture.ConnectAsync(",keepAlive=1,syncTimeout=10000").Within();
        var failed = new TaskCompletionSource<ConnectionFailureType>(TaskCreationOptions.RunContinuationsAsynchronously);
        mux.ConnectionFailed += (_, e) => failed.TrySetResult(e.FailureType);
        var pid = fixture.Topology.Nodes[0].ProcessId!.Value;
        using (var stop = Process.Start("kill", ["-STOP", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await stop.WaitForExitAsync(TestContext.Current.CancellationToken);
        }

        try
        {
            var pending = mux.GetDatabase().StringGetAsync("frozen");
            Assert.Equal(ConnectionFailureType.HeartbeatTimeout, await failed.Task.Within());
            await Assert.ThrowsAsync<RedisConnectionException>(() => pending).Within();
        }
        finally
        {
            using var cont = Process.Start("kill", ["-CONT", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await cont.WaitForExitAsync(TestContext.Current.CancellationToken);
        }

        Assert.True(await mux.GetDatabase().StringSetAsync("thawed", 1).Within());
    }
}
