namespace Prices.Ingest.Tests.Fakes;

/// <summary>The bound every await in a Redis test gets, and the test's own cancellation (import with <c>using static</c>).</summary>
public static class TestTimeouts
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    public static CancellationToken Ct => TestContext.Current.CancellationToken;
}
