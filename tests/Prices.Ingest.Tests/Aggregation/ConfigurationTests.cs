using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Prices.Ingest.Exchanges;
using Prices.Ingest.Simulation;
using Prices.Ingest.Tests.Redis;

namespace Prices.Ingest.Tests.Aggregation;

public sealed class ConfigurationTests
{
    // Nothing listens there: these hosts never get as far as talking to Redis.
    private static Dictionary<string, string?> Settings(params (string Key, string Value)[] overrides)
    {
        var settings = PricesHost.Defaults("127.0.0.1:1,connectTimeout=200", "config");
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }

        return settings;
    }

    [Fact]
    public void TheSimulatedFeedIsTheDefaultSource()
    {
        var settings = Settings();
        settings.Remove("Prices:Sources:Simulated:Enabled");
        using var host = PricesHost.Build(settings);

        Assert.IsType<SimulatedPriceSource>(Assert.Single(host.Services.GetServices<IPriceSource>()));
    }

    [Fact]
    public void ConfigurationChoosesTheSources()
    {
        using var host = PricesHost.Build(Settings(
            ("Prices:Sources:Simulated:Enabled", "false"),
            ("Prices:Sources:Kraken:Enabled", "true"),
            ("Prices:Sources:Binance:Enabled", "true"),
            ("Prices:Sources:Binance:QuoteToUsdRate", "0.9998")));

        Assert.Equal(["binance", "kraken"], host.Services.GetServices<IPriceSource>().Select(s => s.Name).Order());
        Assert.Equal(0.9998m, host.Services.GetRequiredService<IOptions<BinanceOptions>>().Value.QuoteToUsdRate);
    }

    [Theory]
    [InlineData("Prices:Aggregation:MinSources", "0", "MinSources")]
    [InlineData("Prices:Aggregation:MaxDeviationBps", "0", "MaxDeviationBps")]
    [InlineData("Prices:Publishing:LeaseDuration", "00:00:00.010", "LeaseDuration")]
    [InlineData("Prices:Sources:Simulated:TicksPerSecond", "0", "TicksPerSecond")]
    [InlineData("Prices:Sources:Binance:QuoteToUsdRate", "3", "QuoteToUsdRate")]
    [InlineData("Prices:Sources:Replay:Enabled", "true", "replay file")]
    public async Task AnInvalidSettingStopsStartUpAndIsNamed(string key, string value, string named)
    {
        using var host = PricesHost.Build(Settings((key, value)));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(
            () => host.StartAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }
}
