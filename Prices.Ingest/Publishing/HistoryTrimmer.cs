using Microsoft.Extensions.Options;
using Platform.Prices.Contracts;
using StackExchange.Redis;

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
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (!lease.IsHeld)
            {
                continue;
            }

            try
            {
                using var untraced = UntracedWork.Start("history-trim");
                await TrimAsync();
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
            Exclude.Stop);
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
