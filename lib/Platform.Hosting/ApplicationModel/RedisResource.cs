namespace Platform.Hosting.ApplicationModel;

/// <summary>
/// Redis: one server, or with <see cref="Sentinel"/> a master plus replicas watched by Sentinels. Instance 0 starts as
/// the master. Run mode: Debian's redis-server; publish mode: the redis image.
/// </summary>
public sealed class RedisResource(string name, ParameterResource password)
    : Resource(name), IResourceWithConnectionString, IResourceWithEnvironment, IResourceWithEndpoints, IResourceWithWaitSupport
{
    public const string PrimaryEndpointName = "tcp";
    public const int DefaultPort = 6379;

    public ParameterResource PasswordParameter { get; } = password;

    public EndpointReference PrimaryEndpoint => new(this, PrimaryEndpointName);

    /// <summary>The Sentinels watching this Redis, if any.</summary>
    public RedisSentinelResource? Sentinel { get; internal set; }

    /// <summary>Replicas besides the master.</summary>
    public int Replicas { get; internal set; }

    public int Instances => 1 + Replicas;

    public string MaxMemory { get; set; } = "512mb";

    public string MaxMemoryPolicy { get; set; } = "allkeys-lru";

    /// <summary>RDB snapshot interval and the number of changed keys that triggers it.</summary>
    public (TimeSpan Interval, long KeysChanged) Snapshot { get; set; } = (TimeSpan.FromMinutes(5), 1);

    public bool AppendOnly { get; set; } = true;

    public string AppendFsync { get; set; } = "everysec";

    public bool HasDataVolume => Annotations.OfType<DataVolumeAnnotation>().Any();

    /// <summary>
    /// Sentinel form (<c>s1:p,s2:p,s3:p,password=…,serviceName=mymaster</c>) when there are Sentinels, otherwise
    /// <c>host:port,password=…</c>.
    /// </summary>
    public ReferenceExpression ConnectionStringExpression => Sentinel is { } sentinel
        ? ReferenceExpression.Create($"{sentinel.PrimaryEndpoint.AllInstancesHostAndPort},password={PasswordParameter},serviceName={sentinel.MasterName}")
        : ReferenceExpression.Create($"{PrimaryEndpoint.AllInstancesHostAndPort},password={PasswordParameter}");
}

/// <summary>The Sentinels of a <see cref="RedisResource"/> (quorum: a majority).</summary>
public sealed class RedisSentinelResource(string name, RedisResource parent, int instances)
    : Resource(name), IResourceWithParent<RedisResource>, IResourceWithEndpoints, IResourceWithWaitSupport
{
    public const string PrimaryEndpointName = "tcp";
    public const int DefaultPort = 26379;

    public RedisResource Parent { get; } = parent;

    IResource IResourceWithParent.Parent => Parent;

    public int Instances { get; } = instances >= 1 ? instances : throw new ArgumentOutOfRangeException(nameof(instances), "at least one Sentinel");

    public int Quorum => (Instances / 2) + 1;

    public string MasterName { get; set; } = "mymaster";

    public TimeSpan DownAfter { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan FailoverTimeout { get; set; } = TimeSpan.FromSeconds(15);

    public EndpointReference PrimaryEndpoint => new(this, PrimaryEndpointName);
}
