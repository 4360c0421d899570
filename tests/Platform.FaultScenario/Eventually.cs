using System.Diagnostics;

namespace Platform.FaultScenario;

/// <summary>The one wait of the fault scenario: poll a condition until it holds, or fail naming what did not happen.</summary>
public static class Eventually
{
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> describe, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(describe);
        var started = Stopwatch.GetTimestamp();
        while (!await condition().ConfigureAwait(false))
        {
            if (Stopwatch.GetElapsedTime(started) > timeout)
            {
                throw new TimeoutException($"{describe()} (waited {timeout.TotalSeconds:0} s)");
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
    }

    public static Task UntilAsync(Func<bool> condition, TimeSpan timeout, Func<string> describe, CancellationToken cancellationToken) =>
        UntilAsync(() => Task.FromResult(condition()), timeout, describe, cancellationToken);
}
