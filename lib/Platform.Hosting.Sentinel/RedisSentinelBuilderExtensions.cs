using System.Globalization;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Platform.Hosting.Sentinel;

namespace Aspire.Hosting;

/// <summary>Redis with Sentinel high availability, which Aspire's Redis integration does not have.</summary>
public static class RedisSentinelBuilderExtensions
{
    /// <summary>The command that forces a Sentinel failover, on the Redis resource in the dashboard.</summary>
    public const string FailoverCommand = "redis-failover";

    private const string Image = "docker.io/library/redis";
    private const string ImageTag = "7.4";

    /// <summary>
    /// Adds Redis with Sentinel HA: nodes <c>&lt;name&gt;-0</c> (the first master) to <c>&lt;name&gt;-&lt;replicas&gt;</c>,
    /// and Sentinels <c>&lt;name&gt;-sentinel-0…</c> watching them with a majority quorum, all sharing the password
    /// parameter (<c>&lt;name&gt;-password</c>, generated unless given). In run mode each is a local process from
    /// Debian's redis-server/redis-sentinel at a free loopback port, with health checks (a node answers ROLE as master
    /// or as a connected replica; a Sentinel sees the master, every replica and every other Sentinel); when published
    /// each is a <c>redis</c> container. The resource itself is healthy when the Sentinels name a master that answers
    /// as one, and carries the dashboard command that forces a failover.
    /// </summary>
    public static IResourceBuilder<RedisSentinelResource> AddRedisSentinel(this IDistributedApplicationBuilder builder,
        [ResourceName] string name, int replicas = 1, int sentinels = 3, IResourceBuilder<ParameterResource>? password = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentOutOfRangeException.ThrowIfNegative(replicas);
        ArgumentOutOfRangeException.ThrowIfLessThan(sentinels, 1);

        var passwordParameter = password?.Resource
            ?? ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-password", special: false);
        if (password is null)
        {
            builder.AddResource(passwordParameter);
        }

        var redis = new RedisSentinelResource(name, passwordParameter);
        redis.Settings.MinReplicasToWrite = Math.Min(redis.Settings.MinReplicasToWrite, replicas);
        var resource = builder.AddResource(redis)
            .WithIconName("Database")
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "RedisSentinel",
                State = KnownResourceStates.NotStarted,
                Properties = [],
            });

        if (builder.ExecutionContext.IsRunMode)
        {
            RedisSentinelLocalRun.AddProcesses(resource, replicas, sentinels);
        }
        else
        {
            AddContainers(resource, replicas, sentinels);
        }

        return resource;
    }

    /// <summary>
    /// Keeps the nodes' data (AOF and RDB) across runs: under the state folder in run mode, on a volume per node when
    /// published. Without it run mode starts empty every time.
    /// </summary>
    public static IResourceBuilder<RedisSentinelResource> WithDataVolume(this IResourceBuilder<RedisSentinelResource> builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Resource.HasDataVolume = true;
        foreach (var node in builder.Resource.Nodes.OfType<ContainerResource>())
        {
            node.Annotations.Add(new ContainerMountAnnotation($"{node.Name}-data", "/data", ContainerMountType.Volume, isReadOnly: false));
        }

        return builder;
    }

    /// <summary>Changes the server configuration or the Sentinels' timing (before the application starts).</summary>
    public static IResourceBuilder<RedisSentinelResource> WithSettings(this IResourceBuilder<RedisSentinelResource> builder, Action<RedisSentinelSettings> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        configure(builder.Resource.Settings);
        return builder;
    }

    internal static void AddHealthChecks(IResourceBuilder<RedisSentinelResource> redis,
        IReadOnlyList<IResourceBuilder<ExecutableResource>> nodes, IReadOnlyList<IResourceBuilder<ExecutableResource>> sentinels)
    {
        var services = redis.ApplicationBuilder.Services;
        services.TryAddSingleton<RedisProbe>();
        var checks = services.AddHealthChecks();
        foreach (var node in nodes)
        {
            var key = $"{node.Resource.Name}_role";
            checks.Add(new HealthCheckRegistration(key, sp => new RedisNodeHealthCheck(redis.Resource, node.Resource, sp.GetRequiredService<RedisProbe>()), null, null));
            node.WithHealthCheck(key);
        }

        foreach (var sentinel in sentinels)
        {
            var key = $"{sentinel.Resource.Name}_sentinel";
            checks.Add(new HealthCheckRegistration(key, sp => new RedisSentinelHealthCheck(redis.Resource, sentinel.Resource, sp.GetRequiredService<RedisProbe>()), null, null));
            sentinel.WithHealthCheck(key);
        }

        var masterKey = $"{redis.Resource.Name}_master";
        checks.Add(new HealthCheckRegistration(masterKey, sp => new RedisMasterHealthCheck(redis.Resource, sp.GetRequiredService<RedisProbe>()), null, null));
        redis.WithHealthCheck(masterKey);
        redis.WithCommand(FailoverCommand, "Force failover", async context =>
        {
            var probe = context.Services.GetRequiredService<RedisProbe>();
            var master = await RedisTopology.FailoverAsync(redis.Resource, probe, TimeSpan.FromSeconds(60), context.CancellationToken).ConfigureAwait(false);
            return CommandResults.Success($"The Sentinels agree on the new master {master}.");
        }, new CommandOptions
        {
            Description = "Asks a Sentinel to promote a replica (SENTINEL FAILOVER), waits until every Sentinel names it, and makes the former master its replica.",
            IconName = "ArrowSwap",
            UpdateState = context => context.ResourceSnapshot.HealthStatus == HealthStatus.Healthy
                ? ResourceCommandState.Enabled
                : ResourceCommandState.Disabled,
        });
    }

    private static void AddContainers(IResourceBuilder<RedisSentinelResource> redis, int replicas, int sentinels)
    {
        var app = redis.ApplicationBuilder;
        var name = redis.Resource.Name;
        for (var i = 0; i <= replicas; i++)
        {
            var node = app.AddContainer($"{name}-{i.ToString(CultureInfo.InvariantCulture)}", Image, ImageTag)
                .WithEndpoint(targetPort: RedisConfig.NodePort, name: RedisSentinelResource.EndpointName, scheme: "tcp")
                .WithEnvironment("REDIS_PASSWORD", redis.Resource.PasswordParameter)
                .WithAnnotation(new RedisSentinelRoleAnnotation(redis.Resource, IsSentinel: false, i))
                .WithParentRelationship(redis);
            redis.Resource.AddNode(node.Resource);
        }

        for (var i = 0; i < sentinels; i++)
        {
            var sentinel = app.AddContainer($"{name}-sentinel-{i.ToString(CultureInfo.InvariantCulture)}", Image, ImageTag)
                .WithEndpoint(targetPort: RedisConfig.SentinelPort, name: RedisSentinelResource.EndpointName, scheme: "tcp")
                .WithEnvironment("REDIS_PASSWORD", redis.Resource.PasswordParameter)
                .WithAnnotation(new RedisSentinelRoleAnnotation(redis.Resource, IsSentinel: true, i))
                .WithParentRelationship(redis);
            redis.Resource.AddSentinel(sentinel.Resource);
        }

        foreach (var container in redis.Resource.Nodes.Concat(redis.Resource.Sentinels).Cast<ContainerResource>())
        {
            var role = container.Annotations.OfType<RedisSentinelRoleAnnotation>().Single();
            app.CreateResourceBuilder(container)
                .WithEntrypoint("/bin/sh")
                .WithArgs("-c", RedisStartScripts.For(role));
        }
    }
}

/// <summary>A published container's place in a Sentinel topology: a node (index 0 starts as master) or a Sentinel.</summary>
public sealed record RedisSentinelRoleAnnotation(RedisSentinelResource Redis, bool IsSentinel, int Index) : IResourceAnnotation;
