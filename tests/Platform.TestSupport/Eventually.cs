using System.Diagnostics;

namespace Platform.TestSupport;

/// <summary>
/// The one wait of the tests and benches: asks a condition again until it holds, and fails naming what it waited for
/// when the deadline passes first. The deadline only bounds a hang; nothing asserts on how long the wait took.
/// </summary>
public static class Eventually
{
    /// <summary>How long a wait lasts unless the caller says otherwise.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The pause between two looks unless the caller says otherwise.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>Waits until <paramref name="condition"/> holds.</summary>
    /// <param name="condition">Looked at again after every <paramref name="interval"/> until it returns true.</param>
    /// <param name="what">What is awaited, for the failure: "the breaker to open", "seq 12 on every viewer".</param>
    /// <param name="cancellationToken">Ends the wait at once (the test's own token, say).</param>
    /// <param name="timeout">How long to wait (<see cref="DefaultTimeout"/>); a condition still running an interval past it is abandoned.</param>
    /// <param name="diagnostics">Read once on timeout and added to the failure: the state that did not come right.</param>
    /// <param name="retryWhen">Exceptions of the condition that mean "not yet" (a server still starting); others end the wait.</param>
    /// <param name="interval">The pause between two looks (<see cref="DefaultInterval"/>).</param>
    /// <exception cref="TimeoutException">The condition did not hold in time.</exception>
    public static Task UntilAsync(
        Func<bool> condition, string what, CancellationToken cancellationToken, TimeSpan? timeout = null,
        Func<string>? diagnostics = null, Func<Exception, bool>? retryWhen = null, TimeSpan? interval = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        return UntilAsync(() => Task.FromResult(condition()), what, cancellationToken, timeout, diagnostics, retryWhen, interval);
    }

    /// <inheritdoc cref="UntilAsync(Func{bool}, string, CancellationToken, TimeSpan?, Func{string}?, Func{Exception, bool}?, TimeSpan?)"/>
    public static Task UntilAsync(
        Func<Task<bool>> condition, string what, CancellationToken cancellationToken, TimeSpan? timeout = null,
        Func<string>? diagnostics = null, Func<Exception, bool>? retryWhen = null, TimeSpan? interval = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        return UntilAsync(condition, static holds => holds, what, cancellationToken, timeout, diagnostics, retryWhen, interval);
    }

    /// <summary>Reads a value until it satisfies <paramref name="condition"/>, and returns that value.</summary>
    /// <param name="read">Read again after every <paramref name="interval"/>; the last value read is named on timeout.</param>
    /// <param name="condition">Whether the value read is the one awaited.</param>
    /// <param name="what">What is awaited, for the failure.</param>
    /// <param name="cancellationToken">Ends the wait at once.</param>
    /// <param name="timeout">How long to wait (<see cref="DefaultTimeout"/>).</param>
    /// <param name="diagnostics">Read once on timeout and added to the failure.</param>
    /// <param name="retryWhen">Exceptions of <paramref name="read"/> that mean "not yet"; others end the wait.</param>
    /// <param name="interval">The pause between two reads (<see cref="DefaultInterval"/>).</param>
    /// <exception cref="TimeoutException">No value read in time satisfied the condition.</exception>
    public static async Task<T> UntilAsync<T>(
        Func<Task<T>> read, Func<T, bool> condition, string what, CancellationToken cancellationToken, TimeSpan? timeout = null,
        Func<string>? diagnostics = null, Func<Exception, bool>? retryWhen = null, TimeSpan? interval = null)
    {
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentException.ThrowIfNullOrWhiteSpace(what);
        var limit = timeout ?? DefaultTimeout;
        var pause = interval ?? DefaultInterval;
        var started = Stopwatch.GetTimestamp();
        var last = "nothing yet";
        Exception? lastError = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Task<T>? attempt = null;
            try
            {
                attempt = read();
                // Every read gets at least one interval, so that a read started just before the deadline is not cut short.
                var left = Remaining(limit, started);
                var value = await attempt.WaitAsync(left > pause ? left : pause, cancellationToken);
                if (condition(value))
                {
                    return value;
                }

                last = value?.ToString() ?? "null";
                lastError = null;
            }
            catch (TimeoutException) when (attempt is { IsCompleted: false })
            {
                // The read itself hangs past the deadline: abandoned, and said so below.
                last = "a read that had not answered";
            }
            catch (Exception e) when (retryWhen?.Invoke(e) == true && !cancellationToken.IsCancellationRequested)
            {
                lastError = e;
            }

            var rest = Remaining(limit, started);
            if (rest <= TimeSpan.Zero)
            {
                throw new TimeoutException(Failure(what, limit, typeof(T) == typeof(bool) ? null : last, lastError, diagnostics));
            }

            await Task.Delay(rest < pause ? rest : pause, cancellationToken);
        }
    }

    private static TimeSpan Remaining(TimeSpan limit, long started)
    {
        var left = limit - Stopwatch.GetElapsedTime(started);
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    private static string Failure(string what, TimeSpan limit, string? last, Exception? lastError, Func<string>? diagnostics)
    {
        var message = $"Waited {limit.TotalSeconds:0.#} s for {what}, in vain.";
        if (last is not null)
        {
            message += $"\nLast value: {last}";
        }

        if (lastError is not null)
        {
            message += $"\nLast error: {lastError.GetType().Name}: {lastError.Message}";
        }

        if (diagnostics is not null)
        {
            message += $"\n{diagnostics()}";
        }

        return message;
    }
}
