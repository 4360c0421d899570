using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Prices.Ingest.Exchanges;

namespace Prices.Ingest.Simulation;

/// <summary>Emits the GBM path at the configured rate, catching up in bursts when the timer fires late.</summary>
public sealed class SimulatedPriceSource(IOptions<SimulatedFeedOptions> options, TimeProvider time, PricesMetrics metrics) : IPriceSource
{
    private readonly SimulatedFeedOptions _options = options.Value;

    public string Name => "simulated";

    public async Task RunAsync(ChannelWriter<PriceTick> ticks, CancellationToken cancellationToken)
    {
        var generator = new GbmPriceGenerator(_options);
        var names = Enumerable.Range(1, _options.Venues).Select(i => $"sim-{i}").ToArray();
        var start = time.GetTimestamp();
        long emitted = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var due = (long)(time.GetElapsedTime(start).TotalSeconds * _options.TicksPerSecond) + 1;
            for (; emitted < due; emitted++)
            {
                var (venue, price) = generator.Next();
                var now = time.GetUtcNow().ToUnixTimeMilliseconds();
                metrics.Tick(names[venue]);
                ticks.TryWrite(new PriceTick(names[venue], price, "USD", now, now, time.GetTimestamp(), _options.Staleness));
            }

            var untilNext = TimeSpan.FromSeconds(emitted / _options.TicksPerSecond) - time.GetElapsedTime(start);
            try
            {
                await Task.Delay(untilNext > TimeSpan.Zero ? untilNext : TimeSpan.FromMilliseconds(1), time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
