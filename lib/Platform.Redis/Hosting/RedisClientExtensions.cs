using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Platform.Redis;
using Platform.Redis.Hosting;

namespace Microsoft.Extensions.Hosting;

/// <summary>Settings bound from <c>Redis:&lt;name&gt;</c> (optional).</summary>
public sealed class RedisClientSettings
{
    public string? ConnectionString { get; set; }

    public bool DisableHealthChecks { get; set; }

    /// <summary>Applied to the parsed options before connecting.</summary>
    public Action<ConfigurationOptions>? Configure { get; set; }
}

public static class RedisClientExtensions
{
    /// <summary>Registers one shared <see cref="IConnectionMultiplexer"/> from <c>ConnectionStrings:&lt;name&gt;</c>, a
    /// health check named <paramref name="connectionName"/> (PING and ROLE) and records the telemetry names
    /// (<see cref="RedisTelemetry.ActivitySourceName"/>, <see cref="RedisTelemetry.MeterName"/>).</summary>
    public static IHostApplicationBuilder AddRedisClient(this IHostApplicationBuilder builder, string connectionName,
        Action<RedisClientSettings>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(connectionName);
        var settings = new RedisClientSettings();
        builder.Configuration.GetSection($"Redis:{connectionName}").Bind(settings);
        settings.ConnectionString ??= builder.Configuration.GetConnectionString(connectionName);
        configure?.Invoke(settings);
        if (string.IsNullOrWhiteSpace(settings.ConnectionString))
        {
            throw new InvalidOperationException(
                $"Redis client '{connectionName}': no connection string. Set ConnectionStrings:{connectionName} (ConnectionStrings__{connectionName}).");
        }

        // Parse now so a malformed string fails at start-up, naming the bad token (never the password).
        var options = ConfigurationOptions.Parse(settings.ConnectionString);
        options.AbortOnConnectFail = false;
        settings.Configure?.Invoke(options);

        builder.Services.AddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(options));
        builder.Services.AddSingleton(new RedisTelemetryNames(RedisTelemetry.ActivitySourceName, RedisTelemetry.MeterName));
        if (!settings.DisableHealthChecks)
        {
            builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(connectionName,
                sp => new RedisHealthCheck(sp.GetRequiredService<IConnectionMultiplexer>()), HealthStatus.Unhealthy, ["ready", "redis"],
                TimeSpan.FromSeconds(5)));
        }

        return builder;
    }
}

/// <summary>Registered by AddRedisClient so telemetry set-up can subscribe to the client's source and meter by name.</summary>
public sealed record RedisTelemetryNames(string ActivitySourceName, string MeterName);
