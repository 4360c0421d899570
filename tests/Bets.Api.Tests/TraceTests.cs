using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Bets.Api.Grid;
using Platform.TestSupport;

namespace Bets.Api.Tests;

// An ActivityListener sees every host in the process: this class runs alone.
[CollectionDefinition(nameof(TraceTests), DisableParallelization = true)]
public sealed class TraceCollection;

[Collection(nameof(TraceTests))]
public sealed class TraceTests(BetsFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static bool IsRedis(Activity a) => a.Source.Name.Contains("StackExchangeRedis", StringComparison.Ordinal);

    private static bool IsSqlite(Activity a) => a.GetTagItem("db.system.name") as string == "sqlite";

    [Fact]
    public async Task APlacementIsOneTraceWithItsRedisAndSqliteSpansBeneathWhileBackgroundLoopsRecordNoRootRedisSpans()
    {
        var ct = TestContext.Current.CancellationToken;
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = _ => true,
            // The least a listener can ask for: whether a span is recorded stays the service's sampler's decision.
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.PropagationData,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

        await fixture.PublishPriceAsync(60_010m);
        var (client, _) = await fixture.SignInAsync(fixture.Host, ct).WaitAsync(Timeout, ct);
        using var __ = client;
        (await client.PostAsync("/wallet/faucet", null, ct).WaitAsync(Timeout, ct)).EnsureSuccessStatusCode();
        var o = new GridOptions();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/bets")
        {
            Content = JsonContent.Create(new { band = GridCalculator.BandOf(60_010m, o.BandWidth) + 1, windowStart = GridCalculator.FirstWindowStart(now, o.WindowSeconds) + o.WindowSeconds * 1000L, stake = 100 }),
        };
        request.Headers.Add("Idempotency-Key", "traced-1");
        Assert.Equal(HttpStatusCode.Created, (await client.SendAsync(request, ct).WaitAsync(Timeout, ct)).StatusCode);

        var placement = Assert.Single(stopped, a => a.DisplayName == "POST /bets" && a.Kind == ActivityKind.Server);
        Assert.True(placement.Recorded);
        // The instrumentation turns profiled commands into spans on its own thread, a while after they ran.
        await Eventually.UntilAsync(() => stopped.Any(a => IsRedis(a) && a.Recorded && a.TraceId == placement.TraceId),
            "a recorded Redis span of the placement", ct, Timeout);

        var transaction = Assert.Single(stopped, a => IsSqlite(a) && a.TraceId == placement.TraceId);
        Assert.True(transaction.Recorded);
        Assert.Equal(ActivityKind.Client, transaction.Kind);
        Assert.Equal(placement.SpanId, transaction.ParentSpanId);

        // Meanwhile the price feed resynchronised every second and the resolver polled: their commands became spans
        // under an unrecorded parent, and nothing recorded a Redis command as a trace of its own.
        Assert.Contains(stopped, a => IsRedis(a) && !a.Recorded && a.ParentSpanId != default);
        Assert.DoesNotContain(stopped, a => IsRedis(a) && a.Recorded && a.ParentSpanId == default);
        Assert.All(stopped.Where(a => IsRedis(a) && a.Recorded), a => Assert.NotEqual(default, a.ParentSpanId));
    }
}
