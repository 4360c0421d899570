using Platform.Hosting.ApplicationModel;

namespace Platform.Hosting;

public static class RedisBuilderExtensions
{
    /// <summary>A single Redis server with a generated password (<c>&lt;name&gt;-password</c>).</summary>
    public static IResourceBuilder<RedisResource> AddRedis(this IDistributedApplicationBuilder builder, string name, int? port = null, IResourceBuilder<ParameterResource>? password = null)
    {
        var redis = new RedisResource(name, ParameterResourceBuilderExtensions.PasswordFor(builder, name, password));
        return builder.AddResource(redis)
            .WithAnnotation(new ResourceRelationshipAnnotation(redis.PasswordParameter, "Reference"))
            .WithAnnotation(new EndpointAnnotation(RedisResource.PrimaryEndpointName, "tcp", RedisResource.DefaultPort, port))
            .WithAnnotation(new ContainerImageAnnotation("docker.io", "library/redis", "7.0"));
    }

    /// <summary>
    /// Makes Redis highly available: <paramref name="replicas"/> replicas of the master and <paramref name="sentinels"/>
    /// Sentinels (quorum: a majority), added as the resource <c>&lt;name&gt;-sentinel</c>. The connection string becomes
    /// the Sentinel form (<c>sentinels…,password=…,serviceName=mymaster</c>).
    /// </summary>
    public static IResourceBuilder<RedisResource> WithSentinel(this IResourceBuilder<RedisResource> builder, int replicas = 1, int sentinels = 3, string masterName = "mymaster")
    {
        ArgumentOutOfRangeException.ThrowIfNegative(replicas);
        if (builder.Resource.Sentinel is not null)
        {
            throw new InvalidOperationException($"Redis '{builder.Resource.Name}' already has Sentinels.");
        }

        var sentinel = new RedisSentinelResource($"{builder.Resource.Name}-sentinel", builder.Resource, sentinels) { MasterName = masterName };
        builder.Resource.Sentinel = sentinel;
        builder.Resource.Replicas = replicas;
        builder.ApplicationBuilder.AddResource(sentinel)
            .WithAnnotation(new EndpointAnnotation(RedisSentinelResource.PrimaryEndpointName, "tcp", RedisSentinelResource.DefaultPort))
            .WithAnnotation(new ContainerImageAnnotation("docker.io", "library/redis", "7.0"))
            .WithAnnotation(new ContainerCommandAnnotation("redis-sentinel", ["/etc/redis/sentinel.conf"]));
        return builder;
    }

    public static IResourceBuilder<RedisResource> WithPersistence(this IResourceBuilder<RedisResource> builder, TimeSpan? interval = null, long keysChangedThreshold = 1)
    {
        builder.Resource.Snapshot = (interval ?? TimeSpan.FromMinutes(5), keysChangedThreshold);
        return builder.WithDataVolume();
    }

    public static IResourceBuilder<RedisResource> WithMaxMemory(this IResourceBuilder<RedisResource> builder, string maxMemory, string policy = "allkeys-lru")
    {
        builder.Resource.MaxMemory = maxMemory;
        builder.Resource.MaxMemoryPolicy = policy;
        return builder;
    }
}
