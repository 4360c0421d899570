using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Prices.Ingest.Exchanges;

namespace Prices.Ingest.Tests.Fakes;

/// <summary>Builds an exchange source as the service would, with a capturing logger and reconnect delays short enough for tests.</summary>
public static class ExchangeHarness
{
    public delegate TSource SourceFactory<TOptions, TSource>(IOptions<TOptions> options, TimeProvider time, PricesMetrics metrics, ILogger<TSource> logger)
        where TOptions : class;

    public static (TSource Source, ListLogger<TSource> Logger) Create<TOptions, TSource>(
        Uri url, SourceFactory<TOptions, TSource> create, Action<TOptions>? configure = null)
        where TOptions : ExchangeOptions, new()
    {
        var options = new TOptions
        {
            Url = url,
            ReconnectInitialDelay = TimeSpan.FromMilliseconds(20),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(100),
        };
        configure?.Invoke(options);
        var logger = new ListLogger<TSource>();
        return (create(Options.Create(options), TimeProvider.System, TestMetrics.Create(), logger), logger);
    }

    /// <summary>Starts a fake exchange and runs the source against <paramref name="path"/> on it.</summary>
    public static async Task<ExchangeHarness<TSource>> StartAsync<TOptions, TSource>(
        string path, SourceFactory<TOptions, TSource> create, Action<TOptions>? configure = null)
        where TOptions : ExchangeOptions, new()
        where TSource : IPriceSource
    {
        var server = await FakeExchangeServer.StartAsync();
        var (source, logger) = Create(server.Url(path), create, configure);
        return new ExchangeHarness<TSource>(server, source, logger);
    }
}

/// <summary>A source running in the background against a fake exchange; disposing stops the source, then the exchange.</summary>
public sealed class ExchangeHarness<TSource> : IAsyncDisposable
    where TSource : IPriceSource
{
    internal ExchangeHarness(FakeExchangeServer server, TSource source, ListLogger<TSource> logger)
    {
        Server = server;
        Source = source;
        Logger = logger;
        Run = new SourceRun(source);
    }

    public FakeExchangeServer Server { get; }

    public TSource Source { get; }

    public ListLogger<TSource> Logger { get; }

    public SourceRun Run { get; }

    public Task<FakeExchangeConnection> NextConnectionAsync() => Server.NextConnectionAsync();

    public Task<PriceTick> NextTickAsync() => Run.NextTickAsync();

    public async ValueTask DisposeAsync()
    {
        await Run.DisposeAsync();
        await Server.DisposeAsync();
    }
}
