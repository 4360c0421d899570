using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Platform.Prices.Contracts;
using Platform.TestSupport;
using Prices.Ingest.Aggregation;
using Prices.Ingest.Exchanges;
using Prices.Ingest.Publishing;
using Prices.Ingest.Tests.Fakes;

namespace Prices.Ingest.Tests.Aggregation;

public sealed class AggregationServiceTests
{
    private static readonly AggregationOptions Settings = new()
    {
        EmitInterval = TimeSpan.FromMilliseconds(300),
        MinEmitInterval = TimeSpan.Zero,
        MinSources = 2,
    };

    private sealed class ScriptedSource : IPriceSource
    {
        public Channel<(string Source, decimal Price)> Pending { get; } = Channel.CreateUnbounded<(string, decimal)>();

        public string Name => "scripted";

        public async Task RunAsync(ChannelWriter<PriceTick> ticks, CancellationToken cancellationToken)
        {
            await foreach (var (source, price) in Pending.Reader.ReadAllAsync(cancellationToken))
            {
                var now = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds();
                await ticks.WriteAsync(new PriceTick(source, price, "USD", now, now, TimeProvider.System.GetTimestamp(), TimeSpan.FromSeconds(30)), cancellationToken);
            }
        }
    }

    private sealed class FakeLease : IWriterLease
    {
        public string Owner => "svc";

        public bool IsHeld { get; set; } = true;

        public bool HeldElsewhere => !IsHeld;

        public int Lost { get; private set; }

        public void MarkLost()
        {
            Lost++;
            IsHeld = false;
        }
    }

    private sealed class RecordingPublisher : IPricePublisher
    {
        public ConcurrentQueue<PriceMessage> Messages { get; } = new();

        public PublishOutcome Outcome { get; set; } = PublishOutcome.Published;

        public Task<PublishResult> PublishAsync(PriceMessage message, CancellationToken cancellationToken)
        {
            if (Outcome == PublishOutcome.Published)
            {
                Messages.Enqueue(message);
            }

            return Task.FromResult(new PublishResult(Outcome));
        }
    }

    private static (AggregationService Service, PriceFeedState State) Create(ScriptedSource source, FakeLease lease, RecordingPublisher publisher)
    {
        var options = Options.Create(Settings);
        var metrics = TestMetrics.Create();
        var state = new PriceFeedState();
        var backlog = new TickBacklog(Options.Create(new PublishingOptions()), lease, metrics, NullLogger<TickBacklog>.Instance);
        return (new AggregationService([source], new PriceAggregator(options, metrics), publisher, backlog, lease, options, state, TimeProvider.System, metrics,
            NullLogger<AggregationService>.Instance), state);
    }

    [Fact]
    public async Task EmitsOnEveryChangeAndOnTheCadenceWhenNothingChanges()
    {
        var source = new ScriptedSource();
        var publisher = new RecordingPublisher();
        var (service, _) = Create(source, new FakeLease(), publisher);
        await service.StartAsync(TestContext.Current.CancellationToken);
        try
        {
            await source.Pending.Writer.WriteAsync(("a", 100m), TestContext.Current.CancellationToken);
            await Eventually.UntilAsync(() => publisher.Messages.Count >= 1, "a first published message", TestContext.Current.CancellationToken);
            await source.Pending.Writer.WriteAsync(("b", 102m), TestContext.Current.CancellationToken);
            await Eventually.UntilAsync(() => publisher.Messages.Any(m => m.Status == PriceStatus.Ok), "a message with status ok", TestContext.Current.CancellationToken);

            var first = publisher.Messages.First();
            Assert.Equal((100m, PriceStatus.Stale), (first.Price, first.Status));
            var ok = publisher.Messages.First(m => m.Status == PriceStatus.Ok);
            Assert.Equal(101m, ok.Price);
            Assert.Equal(["a", "b"], ok.Sources.Select(s => s.Name));

            // Nothing changes: the cadence still emits the same price, each with a new sequence number.
            var count = publisher.Messages.Count;
            await Eventually.UntilAsync(() => publisher.Messages.Count >= count + 2, "two more published messages", TestContext.Current.CancellationToken);
            var repeats = publisher.Messages.Skip(count).ToList();
            Assert.All(repeats, m => Assert.Equal(101m, m.Price));
            Assert.Equal(publisher.Messages.Select(m => m.Seq).Order(), publisher.Messages.Select(m => m.Seq));
        }
        finally
        {
            await service.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task AStandbyAggregatesButDoesNotPublishAndAFencedWriteDropsTheLease()
    {
        var source = new ScriptedSource();
        var publisher = new RecordingPublisher();
        var lease = new FakeLease { IsHeld = false };
        var (service, state) = Create(source, lease, publisher);
        await service.StartAsync(TestContext.Current.CancellationToken);
        try
        {
            await source.Pending.Writer.WriteAsync(("a", 100m), TestContext.Current.CancellationToken);
            await source.Pending.Writer.WriteAsync(("b", 100m), TestContext.Current.CancellationToken);
            await Eventually.UntilAsync(() => state.LastStatus == PriceStatus.Ok, "the aggregate to turn ok", TestContext.Current.CancellationToken);
            Assert.Empty(publisher.Messages);

            lease.IsHeld = true;
            await Eventually.UntilAsync(() => !publisher.Messages.IsEmpty, "a published message once the lease is held", TestContext.Current.CancellationToken);

            publisher.Outcome = PublishOutcome.NotLeaseholder;
            await Eventually.UntilAsync(() => lease.Lost == 1, "the lease to be reported lost", TestContext.Current.CancellationToken);
            Assert.False(lease.IsHeld);
        }
        finally
        {
            await service.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task TheFeedHealthCheckIsUnhealthyWhenSilentDegradedWhenStaleAndHealthyWhenOk()
    {
        var state = new PriceFeedState();
        var time = new ManualTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_900_000_000_000));
        var check = new PriceFeedHealthCheck(state, new FakeLease(), Options.Create(Settings), time);
        var context = new HealthCheckContext();

        Assert.Equal(HealthStatus.Unhealthy, (await check.CheckHealthAsync(context, TestContext.Current.CancellationToken)).Status);
        state.Emitted(1_900_000_000_000, PriceStatus.Stale);
        Assert.Equal(HealthStatus.Degraded, (await check.CheckHealthAsync(context, TestContext.Current.CancellationToken)).Status);
        state.Emitted(1_900_000_000_000, PriceStatus.Ok);
        Assert.Equal(HealthStatus.Healthy, (await check.CheckHealthAsync(context, TestContext.Current.CancellationToken)).Status);
        time.Now = time.Now.AddSeconds(1);
        Assert.Equal(HealthStatus.Unhealthy, (await check.CheckHealthAsync(context, TestContext.Current.CancellationToken)).Status);
    }
}
