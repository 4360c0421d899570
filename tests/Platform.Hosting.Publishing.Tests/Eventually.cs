namespace Platform.Hosting.Publishing.Tests;

/// <summary>
/// The one wait of these tests: asks again until the condition holds or the deadline passes, then fails naming what
/// it waited for, the last answer and any diagnostics. The deadline only bounds a hang; no test asserts on time.
/// </summary>
public static class Eventually
{
    public static async Task UntilAsync(string what, Func<Task<bool>> condition, Func<string>? diagnostics = null, TimeSpan? deadline = null)
    {
        var end = DateTime.UtcNow + (deadline ?? TimeSpan.FromSeconds(60));
        Exception? last = null;
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }

                last = null;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                last = e;
            }

            if (DateTime.UtcNow > end)
            {
                throw new Xunit.Sdk.XunitException($"Gave up waiting until {what}.{(last is null ? string.Empty : $"\nLast error: {last.Message}")}\n{diagnostics?.Invoke()}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), Tools.Cancellation);
        }
    }
}
