namespace Prices.Ingest.Tests.Fakes;

public static class Poll
{
    /// <summary>Re-checks a condition every 100 ms until it holds; fails the test after <paramref name="seconds"/>.</summary>
    public static async Task Until(Func<Task<bool>> condition, int seconds = 15)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(seconds));
        while (!await condition().WaitAsync(timeout.Token))
        {
            await Task.Delay(100, timeout.Token);
        }
    }

    public static Task Until(Func<bool> condition, int seconds = 15) => Until(() => Task.FromResult(condition()), seconds);
}
