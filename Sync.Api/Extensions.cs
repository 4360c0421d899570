using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.StackExchangeRedis;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Platform.Redis.Failover;
using Platform.Redis.Memory;
using Platform.Redis.Tracing;
using Platform.Sessions;
using StackExchange.Redis;
using Sync.Api.Data;
using Sync.Api.Identity;
using Sync.Api.Playback;
using Sync.Api.Realtime;
using Sync.Api.Rooms;

namespace Sync.Api;

public static class Extensions
{
    /// <summary>Oversized chat and signalling payloads must reach the validation (a typed error), not close the socket.</summary>
    private const int HubMessageBytes = 128 * 1024;

    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        // Sync.Api publishes nothing of its own: the prefix gives the SignalR backplane's channels (the only ones on this
        // connection) a namespace per application, so another app's hubs on the same Redis never see them.
        builder.AddRedisClientTracedInRequests("redis", configureOptions: o => o.ChannelPrefix = RedisChannel.Literal("sync-api:"));
        builder.Services.AddRedisFailoverFollowing();
        builder.Services.AddRedisMemoryMonitoring();
        builder.AddRequestBodyLimits();
        // Redis out of reach: 503 (or the hub's "unavailable") at once, in the words the API already uses for it.
        builder.Services.AddRedisOutageBreaker(o =>
        {
            o.ProblemType = "https://tools.ietf.org/html/rfc9110#section-15.6.4";
            o.ProblemTitle = ErrorCodes.Unavailable;
            o.Extensions["code"] = ErrorCodes.Unavailable;
        });
        builder.AddNpgsqlDataSource("syncdb");

        builder.Services.AddOptions<SyncOptions>().BindConfiguration(SyncOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddHostedService<Migrations>();
        builder.Services.AddSingleton<Sessions>();
        builder.Services.AddClientAddresses();
        builder.Services.AddSingleton<RoomPasswords>();
        builder.Services.AddSingleton<RoomStore>();
        builder.Services.AddSingleton<RoomAccess>();
        builder.Services.AddSingleton<TimelineStore>();
        builder.Services.AddSingleton<ReplicaBarrier>();
        builder.Services.AddSingleton<TimelineOutbox>();
        builder.Services.AddSingleton<ITimelineBroadcast>(services => services.GetRequiredService<TimelineOutbox>());
        builder.Services.AddSingleton<PresenceStore>();
        builder.Services.AddSingleton<RoomRevisions>();
        builder.Services.AddSingleton<RoomRateLimits>();
        builder.Services.AddRoomRateLimiter();
        builder.Services.AddSessionRateLimiter();
        builder.Services.AddSingleton<RoomService>();
        builder.Services.AddSingleton<LocalConnections>();
        builder.Services.AddHostedService<PresenceSweep>();
        builder.Services.AddHostedService<WaitDeadlines>();
        builder.Services.AddHostedService<ReconnectResync>();
        builder.Services.AddHostedService<TimelinePersistence>();

        builder.Services.AddSessionAuthentication<GuestSessionValidator>(o =>
        {
            o.SignIn = "sign in as a guest (POST /api/sessions)";
            o.QueryTokenPaths.Add("/hubs");
            // Every Sync.Api problem carries the code its hub errors use.
            o.ProblemExtensions["code"] = ErrorCodes.Unauthorized;
        });
        builder.Services.AddAuthorization();

        builder.Services.ConfigureHttpJsonOptions(o => SyncJson.Configure(o.SerializerOptions));
        builder.Services.AddSignalR(o =>
            {
                o.MaximumReceiveMessageSize = HubMessageBytes;
            })
            .AddJsonProtocol(o => SyncJson.Configure(o.PayloadSerializerOptions))
            .AddStackExchangeRedis();
        // The backplane shares the service's multiplexer (Sentinel-aware, traced, health-checked) instead of opening its own,
        // and publishes through the master that takes the timeline writes: a subscription left on a node that is no
        // longer master (a failover in which no connection broke) must not take this replica's messages with it.
        builder.Services.AddOptions<RedisOptions>().Configure<IServiceProvider>((o, services) =>
            o.ConnectionFactory = _ => Task.FromResult(PublishThroughMaster.Wrap(services.GetRequiredService<IConnectionMultiplexer>())));
        // The backplane subscribes to its channels from its constructor, in whatever context first resolves it (often
        // none: a hosted service at start-up), which made each SUBSCRIBE a root trace of its own.
        builder.Services.AddSingleton<HubLifetimeManager<SyncHub>>(services =>
        {
            using var untraced = UntracedWork.Start("signalr-backplane-subscribe");
            return ActivatorUtilities.CreateInstance<RedisHubLifetimeManager<SyncHub>>(services);
        });
        builder.Services.AddOpenApi();
        return builder;
    }

    public static WebApplication MapSyncApi(this WebApplication app)
    {
        app.MapOpenApi();
        app.MapSessionsApi();
        app.MapRoomsApi();
        // Long polling and server-sent events send hub messages as request bodies, several per POST at times.
        app.MapHub<SyncHub>("/hubs/sync").WithRequestBodyLimit(4 * HubMessageBytes);
        // The backplane unsubscribes on the multiplexer it was handed (ours) when it is disposed. The container would do
        // that last, after the tracer provider disposed the Redis instrumentation (the manager is created here, before
        // the tracer provider), and the instrumentation then throws. So it goes once the app has stopped.
        app.Lifetime.ApplicationStopped.Register(() => ((IDisposable)app.Services.GetRequiredService<HubLifetimeManager<SyncHub>>()).Dispose());
        return app;
    }
}
