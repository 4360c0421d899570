using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Platform.Prices.Contracts;
using Prices.Ingest;
using Prices.Ingest.Publishing;
using StackExchange.Redis;

namespace Prices.Bench;

/// <summary>The real Prices.Ingest services (simulated feed, aggregation, lease, Redis script) at a given tick rate.</summary>
internal sealed class PipelineRun
{
    public required double P50 { get; init; }
    public required double P99 { get; init; }
    public required long Published { get; init; }
    public required long Dropped { get; init; }
    public required double TicksPerSecond { get; init; }
    public required double Seconds { get; init; }

    public static async Task<PipelineRun> RunAsync(string connection, int rate, int seconds)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:redis"] = connection,
            ["Prices:Sources:Simulated:TicksPerSecond"] = rate.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Prices:Sources:Simulated:Venues"] = "3",
            ["Prices:Aggregation:MinEmitInterval"] = "00:00:00",
            ["Prices:Aggregation:EmitInterval"] = "00:00:01",
            ["Prices:Publishing:LeaseDuration"] = "00:00:05",
        });
        builder.AddApplicationServices();
        var sent = new ConcurrentDictionary<long, long>();
        builder.Services.AddSingleton<RedisPricePublisher>();
        builder.Services.AddSingleton<IPricePublisher>(sp => new TimingPublisher(sp.GetRequiredService<RedisPricePublisher>(), sent));

        long ticks = 0, dropped = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == PricesMetrics.MeterName && instrument.Name is "prices.ticks" or "prices.ticks.dropped")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (instrument.Name == "prices.ticks")
            {
                Interlocked.Add(ref ticks, value);
            }
            else
            {
                Interlocked.Add(ref dropped, value);
            }
        });
        listener.Start();

        await using var subscriber = await ConnectionMultiplexer.ConnectAsync(connection);
        var latencies = new List<double>();
        var measuring = false;
        await subscriber.GetSubscriber().SubscribeAsync(RedisChannel.Literal(PriceKeys.Channel), (_, value) =>
        {
            var received = Stopwatch.GetTimestamp();
            var message = PriceMessage.Parse((byte[])value!);
            if (sent.TryRemove(message.Seq, out var arrival) && arrival != 0 && Volatile.Read(ref measuring))
            {
                lock (latencies)
                {
                    latencies.Add(Stopwatch.GetElapsedTime(arrival, received).TotalMilliseconds);
                }
            }
        });

        using var host = builder.Build();
        await host.StartAsync();
        await Task.Delay(TimeSpan.FromSeconds(1.5)); // warm-up: JIT, lease, script load
        var ticksAtStart = Interlocked.Read(ref ticks);
        var droppedAtStart = Interlocked.Read(ref dropped);
        Volatile.Write(ref measuring, true);
        var started = Stopwatch.GetTimestamp();
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        Volatile.Write(ref measuring, false);
        var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var ticked = Interlocked.Read(ref ticks) - ticksAtStart;
        var lost = Interlocked.Read(ref dropped) - droppedAtStart;
        await host.StopAsync();

        lock (latencies)
        {
            latencies.Sort();
            return new PipelineRun
            {
                P50 = Percentiles.Of(latencies, 50),
                P99 = Percentiles.Of(latencies, 99),
                Published = latencies.Count,
                Dropped = lost,
                TicksPerSecond = (ticked - lost) / elapsed,
                Seconds = elapsed,
            };
        }
    }

    /// <summary>Remembers when each message's oldest tick arrived, keyed by its sequence number.</summary>
    private sealed class TimingPublisher(IPricePublisher inner, ConcurrentDictionary<long, long> sent) : IPricePublisher
    {
        public Task<PublishResult> PublishAsync(PriceMessage message, CancellationToken cancellationToken)
        {
            sent[message.Seq] = message.TriggerTimestamp;
            return inner.PublishAsync(message, cancellationToken);
        }
    }
}
