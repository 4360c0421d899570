using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Platform.Redis.Failover;
using Platform.TestSupport;
using Sync.Api.Identity;
using Sync.Api.Rooms;

[assembly: AssemblyFixture(typeof(Sync.Api.Tests.SyncCluster))]
// One Redis/Sentinel set and one PostgreSQL for the whole assembly; the failover test disturbs Redis for everyone,
// so test classes take turns.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Sync.Api.Tests;

public sealed record Guest(Guid UserId, string Name, string Token);

/// <summary>Two Sync.Api instances (real Kestrel on loopback) sharing a real Redis with Sentinel and a real PostgreSQL.</summary>
public sealed class SyncCluster : IAsyncLifetime
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <summary>The reaction bucket: a few, refilled so slowly that no token comes back while a test runs.</summary>
    public const int ReactionBurst = 5;

    /// <inheritdoc cref="ReactionBurst"/>
    public const double ReactionsPerSecond = 0.0001;

    public RedisTopology Redis { get; private set; } = null!;

    public PostgresServer Postgres { get; private set; } = null!;

    public WebApplication[] Apps { get; } = new WebApplication[2];

    public Uri[] Urls { get; } = new Uri[2];

    public HttpClient Http { get; } = new();

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        var redis = RedisTopology.StartAsync(new RedisTopologyOptions { Replicas = 1, Sentinels = 3 }, ct);
        Postgres = await PostgresServer.StartAsync(ct);
        await Postgres.CreateDatabaseAsync("syncdb", ct);
        Redis = await redis;
        for (var i = 0; i < Apps.Length; i++)
        {
            Apps[i] = await StartInstanceAsync(Redis.ConnectionString, Postgres.ConnectionString("syncdb"), ct);
            Urls[i] = new Uri(Apps[i].Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        }
    }

    public static async Task<WebApplication> StartInstanceAsync(string redis, string postgres, CancellationToken ct,
        IDictionary<string, string?>? overrides = null, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(SyncJson).Assembly.GetName().Name,
            EnvironmentName = "Development",
            ContentRootPath = AppContext.BaseDirectory,
        });
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:redis"] = redis,
            ["ConnectionStrings:syncdb"] = postgres,
            ["Sync:PresenceExpiry"] = "00:00:02",
            ["Sync:SweepInterval"] = "00:00:00.200",
            ["Sync:VoiceHeartbeatExpiry"] = "00:00:02",
            ["Sync:VoiceCap"] = "3",
            ["Sync:RebufferWait"] = "00:00:02",
            ["Sync:FirstLoadWait"] = "00:00:03",
            ["Sync:MaxChatLength"] = "500",
            ["Sync:RateLimits:control:Burst"] = "100000",
            ["Sync:RateLimits:control:PerSecond"] = "100000",
            ["Sync:RateLimits:ready:Burst"] = "100000",
            ["Sync:RateLimits:ready:PerSecond"] = "100000",
            ["Sync:RateLimits:join:Burst"] = "100000",
            ["Sync:RateLimits:join:PerSecond"] = "100000",
            // Every test comes from 127.0.0.1: the limits per address and room are PasswordLimitTests' to show.
            ["Sync:SessionsPerAddress:Burst"] = "100000",
            ["Sync:SessionsPerAddress:PerSecond"] = "100000",
            ["Sync:PasswordAttemptsPerAddress:Burst"] = "100000",
            ["Sync:PasswordAttemptsPerAddress:PerSecond"] = "100000",
            ["Sync:PasswordAttemptsPerRoom:Burst"] = "100000",
            ["Sync:PasswordAttemptsPerRoom:PerSecond"] = "100000",
            ["Sync:RateLimits:reaction:Burst"] = ReactionBurst.ToString(CultureInfo.InvariantCulture),
            ["Sync:RateLimits:reaction:PerSecond"] = ReactionsPerSecond.ToString(CultureInfo.InvariantCulture),
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Sync.Api"] = "Information",
        };
        foreach (var (k, v) in overrides ?? new Dictionary<string, string?>())
        {
            settings[k] = v;
        }

        builder.Configuration.AddInMemoryCollection(settings);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        configure?.Invoke(builder);
        builder.AddServiceDefaults();
        builder.AddApplicationServices();
        var app = builder.Build();
        // As Program.cs does.
        app.UseForwardedHeaders();
        app.UseRequestBodyLimits();
        app.UseRedisOutageGate();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.MapDefaultEndpoints();
        app.MapSyncApi();
        await app.StartAsync(ct);
        return app;
    }

    public async Task<Guest> GuestAsync(string name, int instance = 0)
    {
        // As a client should: a 503 with Retry-After (the Redis breaker still open after a test that failed Redis over)
        // is asked again after the pause it names, until the cluster's timeout.
        var deadline = DateTime.UtcNow + Timeout;
        var response = await SendAsync(Request(HttpMethod.Post, "/api/sessions", null, new { displayName = name }, instance));
        while (response.StatusCode == System.Net.HttpStatusCode.ServiceUnavailable && response.Headers.RetryAfter?.Delta is { } pause && DateTime.UtcNow < deadline)
        {
            response.Dispose();
            await Task.Delay(pause, TestContext.Current.CancellationToken);
            response = await SendAsync(Request(HttpMethod.Post, "/api/sessions", null, new { displayName = name }, instance));
        }

        response.EnsureSuccessStatusCode();
        var session = (await response.Content.ReadFromJsonAsync<SessionResponse>(SyncJson.Options))!;
        return new Guest(session.UserId, name, session.Token);
    }

    public HttpRequestMessage Request(HttpMethod method, string path, Guest? guest, object? body = null, int instance = 0)
    {
        var request = new HttpRequestMessage(method, new Uri(Urls[instance], path));
        if (guest is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", guest.Token);
        }

        if (body is not null)
        {
            request.Content = JsonContent.Create(body, options: SyncJson.Options);
        }

        return request;
    }

    public Task<HttpResponseMessage> SendAsync(HttpRequestMessage request) =>
        Http.SendAsync(request, TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken);

    public async Task<T> GetAsync<T>(string path, Guest guest, int instance = 0)
    {
        var response = await SendAsync(Request(HttpMethod.Get, path, guest, null, instance));
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<T>(SyncJson.Options))!;
    }

    public async Task<Room> CreateRoomAsync(Guest host, string? password = null)
    {
        var response = await SendAsync(Request(HttpMethod.Post, "/api/rooms", host, new { name = "room of " + host.Name, password }));
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<Room>(SyncJson.Options))!;
    }

    public async Task<SyncClient> ConnectAsync(Guest guest, int instance, string? forwardedFor = null)
    {
        var client = await HubClient.ConnectAsync(Urls[instance], guest.Token, SyncJson.Options, TestContext.Current.CancellationToken, forwardedFor)
            .WaitAsync(Timeout, TestContext.Current.CancellationToken);
        return new SyncClient(guest, client);
    }

    /// <summary>A guest connected to a room on the given instance.</summary>
    public async Task<SyncClient> JoinAsync(Guest guest, string roomId, int instance, string? password = null)
    {
        var member = await ConnectAsync(guest, instance);
        var snapshot = await member.Call<Realtime.Snapshot>("JoinRoom", roomId, password);
        member.Apply(snapshot);
        member.StartHeartbeats();
        return member;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var app in Apps.Where(a => a is not null))
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
        }

        Http.Dispose();
        if (Postgres is not null)
        {
            await Postgres.DisposeAsync();
        }

        if (Redis is not null)
        {
            await Redis.DisposeAsync();
        }
    }
}
