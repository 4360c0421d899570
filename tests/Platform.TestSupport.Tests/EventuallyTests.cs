namespace Platform.TestSupport.Tests;

public sealed class EventuallyTests
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan Often = TimeSpan.FromMilliseconds(5);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ItReturnsAsSoonAsTheConditionHolds()
    {
        var looks = 0;

        await Eventually.UntilAsync(() => ++looks == 3, "the third look", Ct, interval: Often);

        Assert.Equal(3, looks);
    }

    [Fact]
    public async Task TheValueOverloadReturnsTheValueThatSatisfiedTheCondition()
    {
        var next = 0;

        var value = await Eventually.UntilAsync(() => Task.FromResult(++next), v => v >= 4, "a value of at least 4", Ct, interval: Often);

        Assert.Equal(4, value);
    }

    [Fact]
    public async Task OnTimeoutItNamesWhatItWaitedForTheLastValueAndTheDiagnostics()
    {
        var failure = await Assert.ThrowsAsync<TimeoutException>(() =>
            Eventually.UntilAsync(() => Task.FromResult(7), v => v == 42, "the answer to be 42", Ct, Short, () => "the oracle is asleep", interval: Often));

        Assert.Contains("for the answer to be 42", failure.Message, StringComparison.Ordinal);
        Assert.Contains("Last value: 7", failure.Message, StringComparison.Ordinal);
        Assert.Contains("the oracle is asleep", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExceptionsThatMeanNotYetAreLookedPast()
    {
        var looks = 0;

        await Eventually.UntilAsync(() => ++looks < 3 ? throw new IOException("refused") : true, "a server that starts", Ct,
            retryWhen: e => e is IOException, interval: Often);

        Assert.Equal(3, looks);
    }

    [Fact]
    public async Task OnTimeoutItNamesTheLastExceptionItLookedPast()
    {
        var failure = await Assert.ThrowsAsync<TimeoutException>(() =>
            Eventually.UntilAsync(new Func<bool>(() => throw new IOException("connection refused")), "a server that never starts", Ct, Short,
                retryWhen: e => e is IOException, interval: Often));

        Assert.Contains("Last error: IOException: connection refused", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnyOtherExceptionEndsTheWaitAtOnce()
    {
        var looks = 0;

        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            Eventually.UntilAsync(() => ++looks > 0 ? throw new InvalidOperationException("the process exited") : false, "a process", Ct,
                retryWhen: e => e is IOException, interval: Often));

        Assert.Equal(1, looks);
    }

    [Fact]
    public async Task ACancelledTokenEndsTheWait()
    {
        using var cancel = new CancellationTokenSource();
        var looks = 0;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Eventually.UntilAsync(() =>
        {
            if (++looks == 2)
            {
                cancel.Cancel();
            }

            return false;
        }, "something never true", cancel.Token, interval: Often));

        Assert.Equal(2, looks);
    }

    [Fact]
    public async Task AConditionThatNeverAnswersIsAbandonedAtTheDeadline()
    {
        var never = new TaskCompletionSource<bool>();

        var failure = await Assert.ThrowsAsync<TimeoutException>(() => Eventually.UntilAsync(() => never.Task, "an answer", Ct, Short, interval: Often));

        Assert.Contains("for an answer", failure.Message, StringComparison.Ordinal);
    }
}
