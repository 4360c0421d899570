using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Backplane.Bench;

public sealed class BenchHub : Hub
{
    public Task Join(string group) => Groups.AddToGroupAsync(Context.ConnectionId, group);

    /// <summary>The sender's message: forwarded untouched to the group.</summary>
    public Task Broadcast(string group, long sequence, long sentTicks)
        => Clients.Group(group).SendAsync("m", sequence, sentTicks);
}

/// <summary>A Kestrel server on 127.0.0.1 with a random port; with a Redis connection string it uses the backplane.</summary>
public sealed class BenchServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private BenchServer(WebApplication app, Uri hubUri)
    {
        _app = app;
        HubUri = hubUri;
    }

    public Uri HubUri { get; }

    /// <param name="parallelInvocations">How many of one connection's hub calls may run at once: the sender's window.
    /// With SignalR's default of one, each Broadcast waits for the previous one, which with the backplane includes its
    /// PUBLISH round trip, so one sender could never have more than one broadcast in flight.</param>
    public static async Task<BenchServer> StartAsync(string? redis, string prefix, int parallelInvocations)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var signalR = builder.Services.AddSignalR(o => o.MaximumParallelInvocationsPerClient = parallelInvocations);
        if (redis is not null)
        {
            signalR.AddStackExchangeRedis(redis, o => o.Configuration.ChannelPrefix = StackExchange.Redis.RedisChannel.Literal(prefix));
        }

        var app = builder.Build();
        app.UseWebSockets();
        app.MapHub<BenchHub>("/hub");
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new BenchServer(app, new Uri(address.Replace("http://", "ws://", StringComparison.Ordinal) + "/hub"));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
