using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Sync.Api.Tests;

/// <summary>Two more Sync.Api instances on the cluster's Redis and PostgreSQL, with the given settings.</summary>
internal sealed class Replicas : IAsyncDisposable
{
    public WebApplication[] Apps { get; } = new WebApplication[2];

    public Uri[] Urls { get; } = new Uri[2];

    public static async Task<Replicas> StartAsync(SyncCluster cluster, IDictionary<string, string?> settings)
    {
        var replicas = new Replicas();
        for (var i = 0; i < 2; i++)
        {
            replicas.Apps[i] = await SyncCluster.StartInstanceAsync(cluster.Redis.ConnectionString, cluster.Postgres.ConnectionString("syncdb"),
                TestContext.Current.CancellationToken, settings);
            replicas.Urls[i] = new Uri(replicas.Apps[i].Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        }

        return replicas;
    }

    /// <summary>A hub connection of <paramref name="guest"/> to one of these replicas, in no room yet.</summary>
    /// <param name="forwardedFor">The X-Forwarded-For header, as Web.Frontend's proxy sends it.</param>
    public async Task<SyncClient> ConnectAsync(int replica, Guest guest, string? forwardedFor = null)
    {
        var client = await HubClient.ConnectAsync(Urls[replica], guest.Token, SyncJson.Options, TestContext.Current.CancellationToken, forwardedFor)
            .WaitAsync(SyncCluster.Timeout, TestContext.Current.CancellationToken);
        return new SyncClient(guest, client);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var app in Apps.Where(a => a is not null))
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
        }
    }
}
