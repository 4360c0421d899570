using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Prices.Ingest.Tests.Redis;

/// <summary>The Prices.Ingest services (AddApplicationServices, as Program.cs uses them) in a host of the test's own.</summary>
public sealed class PricesHost : IAsyncDisposable
{
    private readonly IHost _host;

    private PricesHost(IHost host) => _host = host;

    public IServiceProvider Services => _host.Services;

    public static Dictionary<string, string?> Defaults(string redis, string instance) => new()
    {
        ["ConnectionStrings:redis"] = redis,
        ["Prices:Sources:Simulated:TicksPerSecond"] = "40",
        ["Prices:Sources:Simulated:Venues"] = "3",
        ["Prices:Sources:Simulated:Seed"] = instance.Length.ToString(CultureInfo.InvariantCulture),
        ["Prices:Aggregation:EmitInterval"] = "00:00:00.500",
        ["Prices:Aggregation:MinEmitInterval"] = "00:00:00.050",
        ["Prices:Publishing:LeaseDuration"] = "00:00:01.500",
        ["Prices:Publishing:InstanceId"] = instance,
    };

    /// <summary>The host as Program.cs would build it, not started.</summary>
    public static IHost Build(Dictionary<string, string?> settings, TimeProvider? time = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Testing" });
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(settings);
        if (time is not null)
        {
            builder.Services.AddSingleton(time);
        }

        builder.AddApplicationServices();
        return builder.Build();
    }

    public static async Task<PricesHost> StartAsync(Dictionary<string, string?> settings, TimeProvider? time = null)
    {
        var host = Build(settings, time);
        await host.StartAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);
        return new PricesHost(host);
    }

    public T Get<T>()
        where T : notnull => _host.Services.GetRequiredService<T>();

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _host.StopAsync(timeout.Token);
        _host.Dispose();
    }
}
