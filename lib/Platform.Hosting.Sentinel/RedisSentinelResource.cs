namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// Redis with Sentinel high availability: one master, replicas and Sentinels (quorum: a majority of them), as one
/// resource whose connection string lists the Sentinels with <c>serviceName</c>, the form StackExchange.Redis follows
/// to whichever node is master now. Its nodes and Sentinels are resources of their own: local processes in run mode,
/// containers when published.
/// </summary>
public sealed class RedisSentinelResource : Resource, IResourceWithConnectionString, IResourceWithWaitSupport
{
    /// <summary>The name the Sentinels monitor the master under (the connection string's <c>serviceName</c>).</summary>
    public const string MasterName = "mymaster";

    /// <summary>The name of each node's and each Sentinel's endpoint.</summary>
    public const string EndpointName = "tcp";

    private readonly List<IResourceWithEndpoints> _nodes = [];
    private readonly List<IResourceWithEndpoints> _sentinels = [];

    /// <summary>Creates the resource; <see cref="RedisSentinelBuilderExtensions.AddRedisSentinel"/> adds its nodes and Sentinels.</summary>
    public RedisSentinelResource(string name, ParameterResource password) : base(name)
    {
        ArgumentNullException.ThrowIfNull(password);
        PasswordParameter = password;
    }

    /// <summary>The password of every node and Sentinel (<c>requirepass</c>, <c>masterauth</c>, <c>sentinel auth-pass</c>).</summary>
    public ParameterResource PasswordParameter { get; }

    /// <summary>The Redis nodes: the first starts as master, the others as its replicas.</summary>
    public IReadOnlyList<IResourceWithEndpoints> Nodes => _nodes;

    /// <summary>The Sentinels.</summary>
    public IReadOnlyList<IResourceWithEndpoints> Sentinels => _sentinels;

    /// <summary>How many Sentinels must agree that the master is down: a majority.</summary>
    public int Quorum => (_sentinels.Count / 2) + 1;

    /// <summary>The server configuration (memory limit and policy, persistence) and the Sentinels' timing.</summary>
    public RedisSentinelSettings Settings { get; } = new();

    /// <summary>Whether data survives a restart of the whole application (<c>WithDataVolume</c>).</summary>
    public bool HasDataVolume { get; internal set; }

    /// <summary><c>sentinel1:port,sentinel2:port,…,password=…,serviceName=mymaster</c>.</summary>
    public ReferenceExpression ConnectionStringExpression
    {
        get
        {
            var builder = new ReferenceExpressionBuilder();
            for (var i = 0; i < _sentinels.Count; i++)
            {
                var endpoint = _sentinels[i].GetEndpoint(EndpointName);
                builder.Append($"{(i == 0 ? "" : ",")}{endpoint.Property(EndpointProperty.Host)}:{endpoint.Property(EndpointProperty.Port)}");
            }

            builder.Append($",password={PasswordParameter},serviceName={MasterName}");
            return builder.Build();
        }
    }

    internal void AddNode(IResourceWithEndpoints node) => _nodes.Add(node);

    internal void AddSentinel(IResourceWithEndpoints sentinel) => _sentinels.Add(sentinel);
}

/// <summary>The configuration the design gives Redis, with the Sentinels' timing.</summary>
public sealed class RedisSentinelSettings
{
    /// <summary><c>maxmemory</c> (default 512mb).</summary>
    public string MaxMemory { get; set; } = "512mb";

    /// <summary><c>maxmemory-policy</c> (default allkeys-lru).</summary>
    public string MaxMemoryPolicy { get; set; } = "allkeys-lru";

    /// <summary>An RDB snapshot every this many seconds when at least one key changed (default 300).</summary>
    public int SnapshotSeconds { get; set; } = 300;

    /// <summary>
    /// <c>min-replicas-to-write</c> (default 1): the master refuses writes while fewer replicas are connected and
    /// acknowledging, so a master cut off from the rest does not take writes that the failover would lose.
    /// </summary>
    public int MinReplicasToWrite { get; set; } = 1;

    /// <summary><c>min-replicas-max-lag</c> in seconds (default 10): how stale a replica's acknowledgement may be.</summary>
    public int MinReplicasMaxLagSeconds { get; set; } = 10;

    /// <summary>How long a node may not answer before a Sentinel takes it for down (default 5 s).</summary>
    public TimeSpan DownAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The Sentinels' failover timeout (default 15 s).</summary>
    public TimeSpan FailoverTimeout { get; set; } = TimeSpan.FromSeconds(15);
}
