using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ServiceDefaults.Tests;

/// <summary>A real Kestrel app on a random loopback port, built the way a Platform service builds itself.</summary>
internal sealed class TestHost : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private TestHost(WebApplication app, Uri address)
    {
        App = app;
        Address = address;
    }

    public WebApplication App { get; }
    public Uri Address { get; }

    public static async Task<TestHost> StartAsync(
        Action<WebApplicationBuilder>? configure = null,
        Action<WebApplication>? map = null,
        IDictionary<string, string?>? settings = null,
        string environment = "Development",
        bool serviceDefaults = true)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = environment, ApplicationName = "ServiceDefaults.Tests" });
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        if (serviceDefaults)
        {
            builder.AddServiceDefaults();
        }

        configure?.Invoke(builder);
        var app = builder.Build();
        if (serviceDefaults)
        {
            app.MapDefaultEndpoints();
        }

        map?.Invoke(app);
        await app.StartAsync(TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new TestHost(app, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync(CancellationToken.None).WaitAsync(Timeout);
        await App.DisposeAsync();
    }
}
