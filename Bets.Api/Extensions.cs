using System.Text.Json.Serialization;
using Bets.Api.Auth;
using Bets.Api.Bets;
using Bets.Api.Data;
using Bets.Api.Grid;
using Bets.Api.Prices;
using Bets.Api.Resolution;
using Bets.Api.Wallets;
using Platform.Redis.Failover;
using Platform.Redis.Memory;
using Platform.Redis.Tracing;
using Platform.Sessions;

namespace Bets.Api;

public static class Extensions
{
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddRedisClientTracedInRequests("redis");
        builder.AddRequestBodyLimits();
        builder.Services.AddRedisFailoverFollowing();
        builder.Services.AddRedisMemoryMonitoring();
        var services = builder.Services;
        services.TryAddTimeProvider();
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<GridOptions>().BindConfiguration(GridOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<PriceFeedOptions>().BindConfiguration(PriceFeedOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<BettingOptions>().BindConfiguration(BettingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<FaucetOptions>().BindConfiguration(FaucetOptions.Section).ValidateDataAnnotations().ValidateOnStart()
            .PostConfigure(o => o.FaucetEnabled = o.FaucetEnabled || builder.Environment.IsDevelopment());

        var connectionString = builder.Configuration.GetConnectionString("betsdb")
            ?? throw new InvalidOperationException("ConnectionStrings:betsdb is not set; Bets.Api needs 'Data Source=<file>' for its SQLite database.");
        services.AddSingleton(_ => new BetsDatabase(connectionString));
        services.AddHostedService<DatabaseMigrator>();
        services.AddHealthChecks().AddCheck<SqliteHealthCheck>("betsdb");
        services.AddSingleton<WalletLedger>();
        services.AddSingleton<BetStore>();
        services.AddSingleton<BetPlacement>();
        services.AddSingleton<IdempotencyStore>();
        services.AddSingleton<InFlightKeys>();
        services.AddSingleton<SessionStore>();
        services.AddHostedService(sp => sp.GetRequiredService<SessionStore>());
        services.AddSingleton<SiweVerifier>();
        services.AddSingleton<PriceStreamHub>();
        services.AddSingleton<PriceFeed>();
        services.AddHostedService(sp => sp.GetRequiredService<PriceFeed>());
        services.AddHealthChecks().AddCheck<PriceFeedHealthCheck>("price-feed");
        services.AddSingleton<IPriceHistory, RedisPriceHistory>();
        services.AddSingleton<GridService>();
        services.AddSingleton<BetResolver>();
        services.AddHostedService<ResolutionWorker>();

        services.AddSessionAuthentication<WalletSessionValidator>(o => o.SignIn = "sign in with your wallet (POST /auth/verify)");
        services.AddAuthorization();
        // Redis down or failing over: 503 with Retry-After at once, never a 500 and never a wait; nothing is written to SQLite.
        services.AddRedisOutageBreaker(o => o.ProblemType = Problems.Unavailable);
        // Strict input everywhere: a stake sent as "500" or a field we do not know is refused, not guessed at; a request
        // that cannot be bound throws in every environment so BadRequestHandler answers it with a problem detail.
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
            o.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
            o.SerializerOptions.RespectRequiredConstructorParameters = true;
        });
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddExceptionHandler<BadRequestHandler>();
        services.AddBetRateLimiter();
        services.AddOpenApi();
        return builder;
    }

    private static void TryAddTimeProvider(this IServiceCollection services)
    {
        if (services.All(d => d.ServiceType != typeof(TimeProvider)))
        {
            services.AddSingleton(TimeProvider.System);
        }
    }
}
