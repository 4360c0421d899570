using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.TestSupport;

[assembly: AssemblyFixture(typeof(Platform.SignalR.Redis.Tests.Infrastructure.RedisFixture))]

namespace Platform.SignalR.Redis.Tests.Infrastructure;

public sealed class TestHub : Hub;

/// <summary>One plain redis-server for the whole assembly; tests isolate themselves with a channel prefix each.</summary>
public sealed class RedisFixture : IAsyncLifetime
{
    public RedisTopology Topology { get; private set; } = null!;

    public string ConnectionString => Topology.ConnectionString;

    public async ValueTask InitializeAsync()
        => Topology = await RedisTopology.StartAsync(new RedisTopologyOptions { Replicas = 0, Sentinels = 0 });

    public async ValueTask DisposeAsync() => await Topology.DisposeAsync();

    /// <summary>How many clients are subscribed to a channel, as Redis itself counts them.</summary>
    public async Task<long> SubscribersAsync(string channel)
    {
        var reply = (object?[])(await Topology.CommandAsync(Topology.MasterPort, "PUBSUB", "NUMSUB", channel))!;
        return Convert.ToInt64(reply[1], System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>N "servers": each its own service provider, Redis connection and lifetime manager, sharing one prefix.</summary>
public sealed class TestServers : IAsyncDisposable
{
    private readonly List<ServiceProvider> _providers = [];

    private TestServers(string prefix) => Prefix = prefix;

    public string Prefix { get; }

    public LogSink Logs { get; } = new();

    public int Count => _providers.Count;

    public HubLifetimeManager<TestHub> this[int index] => _providers[index].GetRequiredService<HubLifetimeManager<TestHub>>();

    public IServiceProvider Services(int index) => _providers[index];

    public static TestServers Create(string redis, int count, Action<RedisBackplaneOptions>? configure = null,
        Action<IServiceCollection>? services = null)
    {
        var servers = new TestServers("t" + Guid.NewGuid().ToString("N")[..10]);
        for (var i = 0; i < count; i++)
        {
            var collection = new ServiceCollection();
            collection.AddLogging(b => b.AddProvider(servers.Logs).SetMinimumLevel(LogLevel.Debug));
            collection.AddSignalR().AddRedisBackplane(redis, o =>
            {
                o.ChannelPrefix = servers.Prefix;
                configure?.Invoke(o);
            });
            services?.Invoke(collection);
            servers._providers.Add(collection.BuildServiceProvider());
        }

        return servers;
    }

    public string Channel(string kind, string name) => $"{Prefix}:{typeof(TestHub).FullName}:{kind}:{name}";

    public async ValueTask DisposeAsync()
    {
        foreach (var provider in _providers)
        {
            await provider.DisposeAsync();
        }
    }
}

public sealed class LogSink : ILoggerProvider
{
    public ConcurrentQueue<(LogLevel Level, string Category, string Message)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogSink sink, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => sink.Entries.Enqueue((logLevel, category, formatter(state, exception)));
    }
}

public static class TestExtensions
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    public static Task WithTimeout(this Task task) => task.WaitAsync(Timeout, TestContext.Current.CancellationToken);

    public static Task<T> WithTimeout<T>(this Task<T> task) => task.WaitAsync(Timeout, TestContext.Current.CancellationToken);

    public static void AssertHello(this Microsoft.AspNetCore.SignalR.Protocol.InvocationMessage message, string argument = "World")
    {
        Assert.Equal("Hello", message.Target);
        Assert.Equal(argument, Assert.Single(message.Arguments));
    }
}
