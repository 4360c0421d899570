using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Bets.Api.Grid;
using Microsoft.Extensions.Hosting;
using Platform.TestSupport;
using StackExchange.Redis;

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

    /// <summary>Every span of the process, as it stops, into <paramref name="stopped"/>.</summary>
    private static ActivityListener Listen(ConcurrentQueue<Activity> stopped)
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = _ => true,
            // The least a listener can ask for: whether a span is recorded stays the service's sampler's decision.
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.PropagationData,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }

    [Fact]
    public async Task APlacementIsOneTraceWithItsRedisAndSqliteSpansBeneathWhileBackgroundLoopsRecordNoRootRedisSpans()
    {
        var ct = TestContext.Current.CancellationToken;
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = Listen(stopped);

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

        // The rate limiter's script ran inside the request, so its span sits right under it.
        Assert.Contains(stopped, a => IsRedis(a) && a.Recorded && a.ParentSpanId == placement.SpanId && a.Kind == ActivityKind.Client);

        // Meanwhile the price feed resynchronised every second and the resolver polled, under unrecorded parents: their
        // commands were not profiled at all, so no Redis span exists outside a recorded trace, and none is a root.
        Assert.DoesNotContain(stopped, a => IsRedis(a) && !a.Recorded);
        Assert.All(stopped.Where(IsRedis), a => Assert.NotEqual(default, a.ParentSpanId));
    }

    [Fact]
    public async Task TheRedisSpansOfARecordedSpanAreMadeAsItEndsNotHeldForTheNextDrain()
    {
        var ct = TestContext.Current.CancellationToken;
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = Listen(stopped);
        var db = fixture.Host.Get<IConnectionMultiplexer>().GetDatabase();
        // A source the service's tracer records, as its request and database spans are.
        using var source = new ActivitySource("Bets.Api");

        Activity.Current = null;
        var span = source.StartActivity("trace-test-operation");
        Assert.NotNull(span);
        Assert.True(span.Recorded);
        await db.StringSetAsync("trace-test:ending", "1");
        await db.StringGetAsync("trace-test:ending");
        span.Stop();

        // No waiting: the drain ran inside Stop(), on this thread, before this test's listener (added after the
        // service's tracer) heard that the span stopped. The periodic drain would have made them after it.
        var order = stopped.ToList();
        var children = order.Where(a => IsRedis(a) && a.ParentSpanId == span.SpanId).ToList();
        Assert.Equal(["SET", "GET"], children.OrderBy(a => a.StartTimeUtc).Select(a => a.DisplayName));
        Assert.All(children, a => Assert.True(order.IndexOf(a) < order.IndexOf(span)));

        // A command that completes after its span ended (fire-and-forget work that kept the context) still gets its span.
        var late = source.StartActivity("trace-test-fire-and-forget");
        Assert.NotNull(late);
        // Blocks on a list nobody fills, so it is certain to complete after the span's end.
        var pending = db.ExecuteAsync("BLPOP", "trace-test:never-filled", "0.2");
        late.Stop();
        await pending;
        await Eventually.UntilAsync(() => stopped.Any(a => IsRedis(a) && a.ParentSpanId == late.SpanId),
            "the span of the command that outlived its parent", ct, Timeout);
    }

    [Fact]
    public async Task OnlyTheRedisCommandsOfARecordedSpanAreProfiled()
    {
        var ct = TestContext.Current.CancellationToken;
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = Listen(stopped);
        var db = fixture.Host.Get<IConnectionMultiplexer>().GetDatabase();

        // No current span: Aspire's instrumentation made this a root trace of its own.
        Activity.Current = null;
        await db.StringSetAsync("trace-test:outside", "1");
        // Background work: Aspire's profiled it and the sampler dropped the span.
        using (UntracedWork.Start("trace-test"))
        {
            await db.StringSetAsync("trace-test:untraced", "1");
        }

        Activity recorded;
        using (recorded = new Activity("trace-test-request"))
        {
            recorded.SetIdFormat(ActivityIdFormat.W3C);
            recorded.ActivityTraceFlags = ActivityTraceFlags.Recorded;
            recorded.Start();
            await db.StringSetAsync("trace-test:recorded", "1");
            await db.StringGetAsync("trace-test:recorded");
        }

        var spans = await Eventually.UntilAsync(() => Task.FromResult(stopped.Where(a => IsRedis(a) && a.ParentSpanId == recorded.SpanId).ToList()),
            s => s.Count == 2, "the two Redis spans of the recorded span", ct, Timeout);
        Assert.Equal(["SET", "GET"], spans.OrderBy(a => a.StartTimeUtc).Select(a => a.DisplayName));
        Assert.All(spans, a => Assert.Equal("redis", a.GetTagItem("db.system")));
        Assert.DoesNotContain(stopped, a => IsRedis(a) && (!a.Recorded || a.ParentSpanId == default));
    }
}
