using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Platform.Redis.Memory;

/// <summary>Registration.</summary>
public static class RedisMemoryExtensions
{
    /// <summary>
    /// Adds <see cref="RedisMemoryMonitor"/> for the service's <see cref="StackExchange.Redis.IConnectionMultiplexer"/>
    /// (its metrics on the application's meter) and the <see cref="RedisMemoryHealthCheck"/> (readiness).
    /// </summary>
    public static IServiceCollection AddRedisMemoryMonitoring(this IServiceCollection services)
    {
        services.AddOptions<RedisMemoryOptions>().BindConfiguration(RedisMemoryOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<RedisMemoryMonitor>();
        services.AddHostedService(sp => sp.GetRequiredService<RedisMemoryMonitor>());
        services.AddHealthChecks().AddCheck<RedisMemoryHealthCheck>(RedisMemoryHealthCheck.Name);
        return services;
    }
}
