namespace Sync.Api;

/// <summary>
/// A duty every instance runs on a timer. Rounds are untraced (they run whether or not anyone uses the system, and a
/// trace per round would bury the requests of users; see UntracedWork), and a round that fails on Redis or PostgreSQL
/// is logged and tried again at the next one.
/// </summary>
internal abstract partial class PeriodicDuty(TimeProvider time, ILogger logger) : BackgroundService
{
    protected abstract string Name { get; }

    protected abstract TimeSpan Interval { get; }

    protected abstract Task RunOnceAsync(CancellationToken cancellationToken);

    /// <summary>The last round, as the instance stops.</summary>
    protected virtual Task StoppingAsync() => Task.CompletedTask;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            using var timer = new PeriodicTimer(Interval, time);
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                using var untraced = UntracedWork.Start(Name);
                await GuardedAsync(() => RunOnceAsync(stoppingToken));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            await GuardedAsync(StoppingAsync);
        }
    }

    /// <summary>Runs <paramref name="work"/>; false when Redis or PostgreSQL failed it (logged: it is tried again).</summary>
    protected async Task<bool> GuardedAsync(Func<Task> work)
    {
        try
        {
            await work();
            return true;
        }
        catch (Exception ex) when (InfrastructureFailure.Is(ex) || ex is SyncException)
        {
            LogRoundFailed(logger, Name, ex.Message);
            return false;
        }
    }

    [LoggerMessage(LogLevel.Warning, "{Duty} failed, will retry: {Reason}")]
    private static partial void LogRoundFailed(ILogger logger, string duty, string reason);
}
