using Microsoft.Extensions.DependencyInjection.Extensions;
using Platform.Redis.Failover;
using Platform.Redis.Tracing;
using Prices.Ingest;
using Prices.Ingest.Aggregation;
using Prices.Ingest.Exchanges;
using Prices.Ingest.Publishing;
using Prices.Ingest.Simulation;

namespace Microsoft.Extensions.Hosting;

public static class PricesIngestExtensions
{
    /// <summary>Sources chosen by configuration (<c>Prices:Sources:*:Enabled</c>), aggregation, and the single-writer publisher.</summary>
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.AddSingleton<PricesMetrics>();

        Bind<SimulatedFeedOptions>(builder, "Prices:Sources:Simulated");
        Bind<ReplayOptions>(builder, "Prices:Sources:Replay");
        Bind<CoinbaseOptions>(builder, "Prices:Sources:Coinbase");
        Bind<BinanceOptions>(builder, "Prices:Sources:Binance");
        Bind<KrakenOptions>(builder, "Prices:Sources:Kraken");
        Bind<BitstampOptions>(builder, "Prices:Sources:Bitstamp");
        Bind<AggregationOptions>(builder, "Prices:Aggregation");
        Bind<PublishingOptions>(builder, "Prices:Publishing");

        var sources = builder.Configuration.GetSection("Prices:Sources");
        // The simulated feed is on unless switched off: there is no internet in development or CI.
        AddSourceIf<SimulatedPriceSource>(services, sources.GetValue("Simulated:Enabled", true));
        AddSourceIf<ReplayPriceSource>(services, sources.GetValue("Replay:Enabled", false));
        AddSourceIf<CoinbaseSource>(services, sources.GetValue("Coinbase:Enabled", false));
        AddSourceIf<BinanceSource>(services, sources.GetValue("Binance:Enabled", false));
        AddSourceIf<KrakenSource>(services, sources.GetValue("Kraken:Enabled", false));
        AddSourceIf<BitstampSource>(services, sources.GetValue("Bitstamp:Enabled", false));

        builder.AddRedisClientTracedInRequests("redis");
        builder.Services.AddRedisFailoverFollowing();
        // Registration order is start order (and reverse stop order): the lease is released after the last publish.
        services.AddSingleton<WriterLease>();
        services.AddSingleton<IWriterLease>(sp => sp.GetRequiredService<WriterLease>());
        services.AddHostedService(sp => sp.GetRequiredService<WriterLease>());
        services.AddSingleton<TickBacklog>();
        services.AddSingleton<IPricePublisher, RedisPricePublisher>();
        services.AddSingleton<PriceAggregator>();
        services.AddSingleton<PriceFeedState>();
        services.AddHealthChecks().AddCheck<PriceFeedHealthCheck>("price-feed");
        services.AddHostedService<AggregationService>();
        services.AddHostedService<HistoryTrimmer>();
        return builder;
    }

    private static void Bind<TOptions>(IHostApplicationBuilder builder, string section)
        where TOptions : class =>
        builder.Services.AddOptions<TOptions>().Bind(builder.Configuration.GetSection(section)).ValidateDataAnnotations().ValidateOnStart();

    private static void AddSourceIf<TSource>(IServiceCollection services, bool enabled)
        where TSource : class, IPriceSource
    {
        if (enabled)
        {
            services.AddSingleton<IPriceSource, TSource>();
        }
    }
}
