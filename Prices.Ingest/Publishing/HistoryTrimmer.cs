using System.Globalization;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Platform.Prices.Contracts;

namespace Prices.Ingest.Publishing;

/// <summary>The leaseholder removes history entries older than the retention (7 days) on a fixed interval.</summary>
public sealed partial class HistoryTrimmer(
    IConnectionMultiplexer redis,
    IWriterLease lease,
    IOptions<PublishingOptions> options,
    TimeProvider time,
    ILogger<HistoryTrimmer> logger) : BackgroundService
{
    private readonly PublishingOptions _options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.TrimInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            if (!lease.IsHeld)
            {
                continue;
            }

            try
            {
                using var untraced = UntracedWork.Start("history-trim");
                await TrimAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                LogTrimFailed(logger, ex.Message);
            }
        }
    }

    /// <summary>Removes every entry whose score (unix ms) is older than now minus the retention; returns how many.</summary>
    public async Task<long> TrimAsync()
    {
        var cutoff = time.GetUtcNow().Subtract(_options.HistoryRetention).ToUnixTimeMilliseconds();
        var removed = await redis.GetDatabase().SortedSetRemoveRangeByScoreAsync(PriceKeys.History, double.NegativeInfinity, cutoff,
            Exclude.Stop).ConfigureAwait(false);
        if (removed > 0)
        {
            LogTrimmed(logger, removed, cutoff);
        }

        return removed;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Trimmed {Count} price history entries older than {Cutoff} (unix ms)")]
    private static partial void LogTrimmed(ILogger logger, long count, long cutoff);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Price history trim failed: {Reason}")]
    private static partial void LogTrimFailed(ILogger logger, string reason);
}
