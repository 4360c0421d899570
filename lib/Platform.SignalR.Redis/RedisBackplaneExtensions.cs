using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Platform.SignalR.Redis;

namespace Microsoft.Extensions.DependencyInjection;

public static class RedisBackplaneExtensions
{
    /// <summary>
    /// Scales SignalR out over Redis: every hub's <see cref="HubLifetimeManager{THub}"/> becomes a
    /// <see cref="RedisHubLifetimeManager{THub}"/>. Without <see cref="RedisBackplaneOptions.Configuration"/> the
    /// registered <c>IConnectionMultiplexer</c> (<c>builder.AddRedisClient("redis")</c>) is used.
    /// </summary>
    public static ISignalRServerBuilder AddRedisBackplane(this ISignalRServerBuilder builder, Action<RedisBackplaneOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Services.AddOptions<RedisBackplaneOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RedisBackplaneOptions>, RedisBackplaneOptionsValidator>());
        builder.Services.TryAddSingleton<BackplaneConnection>();
        builder.Services.TryAddSingleton<BackplaneEvents>();
        builder.Services.TryAddSingleton<IBackplaneEvents>(sp => sp.GetRequiredService<BackplaneEvents>());
        builder.Services.AddSingleton(typeof(HubLifetimeManager<>), typeof(RedisHubLifetimeManager<>));
        return builder;
    }

    /// <summary>Scales SignalR out over the Redis at <paramref name="configuration"/> (a Platform.Redis connection string).</summary>
    public static ISignalRServerBuilder AddRedisBackplane(this ISignalRServerBuilder builder, string configuration,
        Action<RedisBackplaneOptions>? configure = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(configuration);
        return builder.AddRedisBackplane(o =>
        {
            o.Configuration = configuration;
            configure?.Invoke(o);
        });
    }
}
