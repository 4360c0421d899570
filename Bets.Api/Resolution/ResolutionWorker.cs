using Bets.Api.Bets;
using Microsoft.Extensions.Options;

namespace Bets.Api.Resolution;

/// <summary>Resolves closed windows in a loop; safe to run in every instance at once.</summary>
public sealed partial class ResolutionWorker(BetResolver resolver, IOptions<BettingOptions> options, TimeProvider time, ILogger<ResolutionWorker> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Polls every few hundred ms: not traced, or its Redis spans would bury the requests of users.
                using var untraced = UntracedWork.Start("bet-resolution");
                int settled;
                do
                {
                    settled = await resolver.ResolveDueAsync(o.SettleDelaySeconds * 1000, o.GapToleranceSeconds * 1000L, o.HistoryWaitSeconds * 1000L, ct: stoppingToken);
                    if (settled > 0)
                    {
                        LogSettled(logger, settled);
                    }
                } while (settled > 0 && !stoppingToken.IsCancellationRequested);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Redis or SQLite unavailable for a moment: nothing was half-written (one transaction per batch); retry.
                LogFailed(logger, e);
            }
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(o.ResolutionIntervalMs), time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Resolved {Count} bets")]
    private static partial void LogSettled(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Resolution pass failed; retrying")]
    private static partial void LogFailed(ILogger logger, Exception e);
}
