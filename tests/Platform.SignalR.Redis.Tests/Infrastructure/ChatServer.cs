using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Platform.SignalR.Redis.Tests.Infrastructure;

public interface IChatClient
{
    Task Receive(string text);

    Task<string> GetValue(string question);
}

public sealed class ChatHub : Hub<IChatClient>
{
    public Task Join(string group) => Groups.AddToGroupAsync(Context.ConnectionId, group);

    public Task SendToGroup(string group, string text) => Clients.Group(group).Receive(text);

    public Task SendToConnection(string connectionId, string text) => Clients.Client(connectionId).Receive(text);

    public string WhoAmI() => Context.ConnectionId;

    public Task<string> AskClient(string connectionId, string question)
        => Clients.Client(connectionId).GetValue(question);
}

/// <summary>A real Kestrel server on 127.0.0.1 with a random port, SignalR and the Redis backplane.</summary>
public sealed class ChatServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ChatServer(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    public string Url { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<ChatServer> StartAsync(string redis, string prefix, Action<RedisBackplaneOptions>? configure = null, LogSink? logs = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
        }

        builder.Services.AddSignalR(o => o.EnableDetailedErrors = true).AddRedisBackplane(redis, o =>
        {
            o.ChannelPrefix = prefix;
            configure?.Invoke(o);
        });
        var app = builder.Build();
        app.UseWebSockets();
        app.MapHub<ChatHub>("/hub");
        await app.StartAsync(TestContext.Current.CancellationToken);
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new ChatServer(app, url);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}
