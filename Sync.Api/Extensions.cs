using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Platform.SignalR.Redis;
using Sync.Api.Data;
using Sync.Api.Identity;
using Sync.Api.Playback;
using Sync.Api.Realtime;
using Sync.Api.Rooms;

namespace Sync.Api;

public static class Extensions
{
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddRedisClient("redis");
        builder.AddNpgsqlDataSource("syncdb");

        builder.Services.AddOptions<SyncOptions>().BindConfiguration(SyncOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddHostedService<Migrations>();
        builder.Services.AddSingleton<Sessions>();
        builder.Services.AddSingleton<RoomStore>();
        builder.Services.AddSingleton<RoomAccess>();
        builder.Services.AddSingleton<TimelineStore>();
        builder.Services.AddSingleton<ReplicaBarrier>();
        builder.Services.AddSingleton<TimelineOutbox>();
        builder.Services.AddSingleton<PresenceStore>();
        builder.Services.AddSingleton<RoomRevisions>();
        builder.Services.AddSingleton<RateLimiter>();
        builder.Services.AddSingleton<RoomService>();
        builder.Services.AddSingleton<LocalConnections>();
        builder.Services.AddHostedService<RoomMaintenance>();

        builder.Services.AddAuthentication(SessionAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, SessionAuthenticationHandler>(SessionAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorization();

        builder.Services.ConfigureHttpJsonOptions(o => SyncJson.Configure(o.SerializerOptions));
        builder.Services.AddSignalR(o =>
            {
                // Oversized chat and signalling payloads must reach the validation (a typed error), not close the socket.
                o.MaximumReceiveMessageSize = 128 * 1024;
            })
            .AddJsonProtocol(o => SyncJson.Configure(o.PayloadSerializerOptions))
            .AddRedisBackplane();
        builder.Services.AddOpenApi();
        return builder;
    }

    public static WebApplication MapSyncApi(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapOpenApi();
        app.MapDefaultEndpoints();
        app.MapSessionsApi();
        app.MapRoomsApi();
        app.MapHub<SyncHub>("/hubs/sync");
        return app;
    }
}
