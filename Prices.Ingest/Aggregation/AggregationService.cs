using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Platform.Prices.Contracts;
using Prices.Ingest.Exchanges;
using Prices.Ingest.Publishing;

namespace Prices.Ingest.Aggregation;

/// <summary>
/// Runs every configured source into one channel, aggregates on each tick (bursts are drained first, so a burst costs one
/// aggregation), and emits on change and on a fixed cadence. Every instance aggregates; only the leaseholder publishes.
/// </summary>
public sealed partial class AggregationService(
    IEnumerable<IPriceSource> sources,
    PriceAggregator aggregator,
    IPricePublisher publisher,
    TickBacklog backlog,
    IWriterLease lease,
    IOptions<AggregationOptions> options,
    PriceFeedState state,
    TimeProvider time,
    PricesMetrics metrics,
    ILogger<AggregationService> logger) : BackgroundService
{
    public const string Symbol = "BTC/USD";

    private readonly AggregationOptions _options = options.Value;
    private readonly Channel<PriceTick> _ticks = Channel.CreateBounded<PriceTick>(
        new BoundedChannelOptions(10_000)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
            // The aggregation loop continues on the producer's thread: one thread-pool hop less per tick (latency),
            // and aggregating is microseconds, so a source's receive loop is not held up.
            AllowSynchronousContinuations = true,
        },
        dropped => metrics.Dropped(dropped.Source));

    private decimal? _lastPrice;
    private string? _lastStatus;
    private long _lastEmitMs = long.MinValue / 2;
    private bool _pending;
    private long _seq;
    private Task _publishing = Task.CompletedTask;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var running = sources.Select(source => RunSourceAsync(source, stoppingToken)).ToList();
        running.Add(RunCadenceAsync(stoppingToken));
        try
        {
            await AggregateAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        running.Add(_publishing);
        await Task.WhenAll(running);
    }

    private async Task RunSourceAsync(IPriceSource source, CancellationToken stoppingToken)
    {
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                LogSourceStarting(logger, source.Name);
                await source.RunAsync(_ticks.Writer, stoppingToken);
                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // A source's own reconnect loop handles network failures; anything reaching here is a bug or bad input.
                LogSourceFailed(logger, source.Name, ex);
                await Task.Delay(TimeSpan.FromSeconds(5), time, stoppingToken).ContinueWith(static _ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>Wakes the loop for the fixed cadence (and for changes held back by the minimum interval): a default tick is the signal.</summary>
    private async Task RunCadenceAsync(CancellationToken stoppingToken)
    {
        var period = _options.MinEmitInterval > TimeSpan.Zero && _options.MinEmitInterval < _options.EmitInterval
            ? _options.MinEmitInterval
            : _options.EmitInterval;
        using var timer = new PeriodicTimer(period, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                _ticks.Writer.TryWrite(default);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task AggregateAsync(CancellationToken stoppingToken)
    {
        var reader = _ticks.Reader;
        while (await reader.WaitToReadAsync(stoppingToken))
        {
            long trigger = 0;
            while (reader.TryRead(out var tick))
            {
                if (tick.Source is not null)
                {
                    aggregator.Add(tick);
                    // Latency is measured from the oldest tick of a burst: the one that waited longest.
                    trigger = trigger == 0 ? tick.ArrivalTimestamp : Math.Min(trigger, tick.ArrivalTimestamp);
                }
            }

            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            var result = aggregator.Aggregate(now);
            if (trigger != 0)
            {
                metrics.AggregationDuration(time.GetElapsedTime(trigger));
            }

            if (ShouldEmit(result, now))
            {
                Emit(result, now, trigger, stoppingToken);
            }
        }
    }

    private bool ShouldEmit(AggregatedPrice result, long now)
    {
        var changed = result.Price is { } price && (price != _lastPrice || result.Status != _lastStatus);
        var sinceLast = now - _lastEmitMs;
        if (sinceLast >= (long)_options.EmitInterval.TotalMilliseconds
            || ((changed || _pending) && sinceLast >= (long)_options.MinEmitInterval.TotalMilliseconds))
        {
            return true;
        }

        _pending |= changed;
        return false;
    }

    private void Emit(AggregatedPrice result, long now, long trigger, CancellationToken stoppingToken)
    {
        // With no usable source at all, repeat the last price marked stale so consumers see the feed is down.
        var price = result.Price ?? _lastPrice;
        if (price is null)
        {
            return;
        }

        _pending = false;
        _lastEmitMs = now;
        _lastPrice = price;
        _lastStatus = result.Status;
        state.Emitted(now, result.Status);
        var quotes = new SourceQuote[result.Sources.Count];
        for (var i = 0; i < quotes.Length; i++)
        {
            quotes[i] = new SourceQuote(result.Sources[i].Source, result.Sources[i].Price, result.Sources[i].Quote, result.Sources[i].ExchangeTimeMs);
        }

        var message = new PriceMessage(Symbol, price.Value, now, result.Status, quotes, lease.Owner, ++_seq) { TriggerTimestamp = trigger };
        // Kept by every instance until it is known to be in the history: a standby's prices fill the hole if it takes over.
        backlog.Add(message);
        // A write still in flight (Redis slow, failing over, timing out) must not hold up the aggregation, or no prices
        // would be made for the outage: this one waits in the backlog and goes into the history with the next write.
        if (!lease.IsHeld || !_publishing.IsCompleted)
        {
            return;
        }

        _publishing = PublishAsync(message, result.Status, stoppingToken);
    }

    private async Task PublishAsync(PriceMessage message, string status, CancellationToken stoppingToken)
    {
        var started = time.GetTimestamp();
        PublishResult outcome;
        try
        {
            // Prices are published every second whether or not anyone uses the system: not traced (see UntracedWork).
            using (UntracedWork.Start("price-publish"))
            {
                outcome = await publisher.PublishAsync(message, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }

        switch (outcome.Outcome)
        {
            case PublishOutcome.Published:
                metrics.PublishDuration(time.GetElapsedTime(started));
                metrics.Published(status);
                ReportGap(outcome.GapMs);
                break;
            case PublishOutcome.NotLeaseholder:
                lease.MarkLost();
                LogLeaseLostOnWrite(logger);
                break;
            default:
                metrics.PublishFailed();
                break;
        }
    }

    /// <summary>
    /// Any stretch of the history without an entry longer than two cadences that back-fill could not close (prices
    /// dropped from a full backlog, an instance that made none) is reported, measured against the newest entry whoever wrote it.
    /// </summary>
    private void ReportGap(long? gapMs)
    {
        var gap = gapMs.GetValueOrDefault();
        if (gap > 2 * (long)_options.EmitInterval.TotalMilliseconds)
        {
            metrics.HistoryGap(TimeSpan.FromMilliseconds(gap));
            LogHistoryGap(logger, gap);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Starting price source {Source}")]
    private static partial void LogSourceStarting(ILogger logger, string source);

    [LoggerMessage(Level = LogLevel.Error, Message = "Price source {Source} failed; restarting it in 5 s")]
    private static partial void LogSourceFailed(ILogger logger, string source, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The writer lease belongs to another instance; publishing stops until it is reacquired")]
    private static partial void LogLeaseLostOnWrite(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Price history gap of {GapMs} ms: no price was written in that time")]
    private static partial void LogHistoryGap(ILogger logger, long gapMs);
}
