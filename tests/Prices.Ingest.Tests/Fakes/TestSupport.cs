using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Prices.Ingest.Exchanges;

namespace Prices.Ingest.Tests.Fakes;

/// <summary>Captures log entries so tests can assert what was logged.</summary>
public sealed class ListLogger<T> : ILogger<T>
{
    public ConcurrentQueue<(LogLevel Level, string Message)> Entries { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Entries.Enqueue((logLevel, formatter(state, exception)));

    public int Count(string contains) => Entries.Count(e => e.Message.Contains(contains, StringComparison.Ordinal));
}

public static class TestMetrics
{
    private static readonly IMeterFactory Factory = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();

    public static PricesMetrics Create() => new(Factory);
}

/// <summary>Runs a source in the background and reads its ticks with timeouts.</summary>
public sealed class SourceRun : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<PriceTick> _ticks = Channel.CreateUnbounded<PriceTick>();
    private readonly Task _running;

    public SourceRun(IPriceSource source) => _running = Task.Run(() => source.RunAsync(_ticks.Writer, _stop.Token));

    public async Task<PriceTick> NextTickAsync(int seconds = 10) =>
        await _ticks.Reader.ReadAsync(TestContext.Current.CancellationToken).AsTask()
            .WaitAsync(TimeSpan.FromSeconds(seconds), TestContext.Current.CancellationToken);

    public bool TryReadTick(out PriceTick tick) => _ticks.Reader.TryRead(out tick);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _running.WaitAsync(TimeSpan.FromSeconds(10));
        _stop.Dispose();
    }
}
