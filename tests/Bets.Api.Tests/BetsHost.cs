using Bets.Api;
using Bets.Api.Auth;
using Bets.Api.Bets;
using Bets.Api.Grid;
using Bets.Api.Prices;
using Bets.Api.Wallets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Bets.Api.Tests;

/// <summary>One Bets.Api instance on real Kestrel (127.0.0.1, random port), composed exactly as Program.cs does.</summary>
public sealed class BetsHost : IAsyncDisposable
{
    public const string Domain = "bets.test";
    private BetsHost(WebApplication app, Uri address)
    {
        App = app;
        Address = address;
        Http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
    }

    public WebApplication App { get; }
    public Uri Address { get; }
    public HttpClient Http { get; }
    public T Get<T>() where T : notnull => App.Services.GetRequiredService<T>();

    public static async Task<BetsHost> StartAsync(
        string redis, string database, IDictionary<string, string?>? settings = null, string environment = "Development", TimeProvider? time = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = environment,
            ApplicationName = typeof(BetsApi).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var config = new Dictionary<string, string?>
        {
            ["ConnectionStrings:redis"] = redis,
            ["ConnectionStrings:betsdb"] = $"Data Source={database}",
            ["Auth:Domain"] = Domain,
            ["Auth:ChainId"] = "1",
            ["Betting:RateLimitPerMinute"] = "10000",
            // A fixed volatility keeps multipliers (and so exposure) independent of the prices other tests publish.
            ["Grid:MinAnnualVolatility"] = "0.6",
            ["Grid:MaxAnnualVolatility"] = "0.6",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Error",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>()) config[k] = v;
        builder.Configuration.AddInMemoryCollection(config);
        if (time is not null) builder.Services.AddSingleton(time);

        builder.AddServiceDefaults();
        builder.AddApplicationServices();
        builder.Services.AddProblemDetails();
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapOpenApi();
        app.MapAuthApi();
        app.MapGridApi();
        app.MapBetsApi();
        app.MapWalletsApi();
        app.MapPricesApi();
        await app.StartAsync().ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new BetsHost(app, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync().ConfigureAwait(false);
        await App.DisposeAsync().ConfigureAwait(false);
    }
}
