using System.Globalization;
using Platform.Hosting.ApplicationModel;

namespace Platform.Hosting.Publishing;

/// <summary>
/// The model as every publisher sees it: the resources by kind, the published instances of Redis and its Sentinels,
/// and each resource's environment evaluated for publish mode. Rejects what cannot be deployed.
/// </summary>
internal sealed class PublishContext
{
    public const string HttpEndpoint = "http";

    public PublishContext(DistributedApplicationModel model, DistributedApplicationExecutionContext executionContext, PublishingOptions options)
    {
        Model = model;
        ExecutionContext = executionContext;
        Options = options;
        foreach (var resource in model.Resources)
        {
            switch (resource)
            {
                case ParameterResource or RedisResource or RedisSentinelResource or PostgresServerResource or PostgresDatabaseResource or ProjectResource:
                    break;
                case ExecutableResource:
                    throw new DistributedApplicationException(
                        $"Resource '{resource.Name}' is an executable: it has no container image, and azd does not accept executable.v0. Model it as a project or a container to publish it.");
                default:
                    throw new DistributedApplicationException($"Resource '{resource.Name}' ({resource.GetType().Name}) has no published form.");
            }
        }

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var published in model.Resources.SelectMany(InstanceNames))
        {
            if (!names.Add(published))
            {
                throw new DistributedApplicationException($"Two published resources would be named '{published}': rename one resource of the model.");
            }
        }
    }

    public DistributedApplicationModel Model { get; }

    public DistributedApplicationExecutionContext ExecutionContext { get; }

    public PublishingOptions Options { get; }

    public IEnumerable<ParameterResource> Parameters => Model.Resources.OfType<ParameterResource>();

    public IEnumerable<RedisResource> Redis => Model.Resources.OfType<RedisResource>();

    public IEnumerable<PostgresServerResource> Postgres => Model.Resources.OfType<PostgresServerResource>();

    public IEnumerable<ProjectResource> Projects => Model.Resources.OfType<ProjectResource>();

    /// <summary>Instance 0 keeps the resource's name (so <c>{redis.connectionString}</c> still resolves); instance i is <c>name-i</c>.</summary>
    public static IReadOnlyList<string> InstanceNames(IResource resource) => resource switch
    {
        RedisResource r => Indexed(r.Name, r.Instances),
        RedisSentinelResource s => Indexed(s.Name, s.Instances),
        _ => [resource.Name],
    };

    private static string[] Indexed(string name, int count) =>
        [.. Enumerable.Range(0, count).Select(i => i == 0 ? name : $"{name}-{i.ToString(CultureInfo.InvariantCulture)}")];

    /// <summary>The name of the environment variable that carries a parameter (<c>redis-password</c> → <c>REDIS_PASSWORD</c>).</summary>
    public static string EnvironmentName(ParameterResource parameter) => parameter.Name.ToUpperInvariant().Replace('-', '_');

    /// <summary>A name usable as a key in Helm values (<c>bets-api</c> → <c>bets_api</c>).</summary>
    public static string ValuesKey(string name) => name.Replace('-', '_');

    public static string Image(IResource resource) =>
        resource.Annotations.OfType<ContainerImageAnnotation>().LastOrDefault()?.FullName
        ?? throw new DistributedApplicationException($"Resource '{resource.Name}' has no container image to publish.");

    public string ProjectImage(ProjectResource project) => $"{project.Name}:{Options.ProjectImageTag}";

    public static IEnumerable<EndpointAnnotation> Endpoints(IResource resource) => resource.Annotations.OfType<EndpointAnnotation>();

    public int TargetPort(EndpointAnnotation endpoint) => endpoint.TargetPort ?? (endpoint.Transport == "http" ? Options.ProjectHttpPort : endpoint.Port
        ?? throw new DistributedApplicationException($"Endpoint '{endpoint.Name}' has no target port."));

    public static DataVolumeAnnotation? DataVolume(IResource resource) => resource.Annotations.OfType<DataVolumeAnnotation>().FirstOrDefault();

    /// <summary>
    /// Redis keeps an append-only file and snapshots (the model's settings), which only mean something on a persistent
    /// volume: published Redis nodes always get one, named after the model's data volume when it has one.
    /// </summary>
    public static DataVolumeAnnotation? RedisVolume(RedisResource redis) =>
        DataVolume(redis) ?? (redis.AppendOnly || redis.Snapshot.KeysChanged > 0 ? new DataVolumeAnnotation($"{redis.Name}-data", "/data") : null);

    /// <summary>Readiness: the model's HTTP health check, <c>/health</c> by default (ServiceDefaults maps it in every service).</summary>
    public static string ReadinessPath(ProjectResource project) =>
        project.Annotations.OfType<HttpHealthCheckAnnotation>().FirstOrDefault()?.Path ?? "/health";

    public const string LivenessPath = "/alive";

    /// <summary>What <paramref name="resource"/> waits for: resource and whether it must complete (WaitForCompletion) or be healthy.</summary>
    public static IEnumerable<WaitAnnotation> Waits(IResource resource) => resource.Annotations.OfType<WaitAnnotation>();

    /// <summary>
    /// A project's environment when published, in Aspire's order: telemetry settings, forwarded headers and
    /// <c>HTTP_PORTS</c>, then the model's own variables (references, service discovery, WithEnvironment).
    /// </summary>
    public List<KeyValuePair<string, object>> Environment(IResource resource)
    {
        var env = new List<KeyValuePair<string, object>>();
        if (resource is ProjectResource project)
        {
            env.Add(new("OTEL_DOTNET_EXPERIMENTAL_OTLP_EMIT_EXCEPTION_LOG_ATTRIBUTES", "true"));
            env.Add(new("OTEL_DOTNET_EXPERIMENTAL_OTLP_EMIT_EVENT_LOG_ATTRIBUTES", "true"));
            env.Add(new("OTEL_DOTNET_EXPERIMENTAL_OTLP_RETRY", "in_memory"));
            var http = Endpoints(project).Where(e => e.Transport == "http").ToList();
            if (http.Count > 0)
            {
                env.Add(new("ASPNETCORE_FORWARDEDHEADERS_ENABLED", "true"));
                env.Add(new("HTTP_PORTS", new EndpointReferenceExpression(new EndpointReference(project, http[0].Name), EndpointProperty.TargetPort)));
            }
        }

        var context = new EnvironmentCallbackContext(ExecutionContext, resource);
        foreach (var callback in resource.Annotations.OfType<EnvironmentCallbackAnnotation>())
        {
            callback.Callback(context);
        }

        foreach (var (name, value) in context.EnvironmentVariables)
        {
            env.RemoveAll(e => e.Key == name);
            env.Add(new(name, value));
        }

        return env;
    }

    public static IEnumerable<object> Args(IResource resource) => resource.Annotations.OfType<CommandLineArgsAnnotation>().SelectMany(a => a.Args);

    /// <summary>
    /// The environment a Redis node or Sentinel gets (<see cref="RedisScripts"/> reads it). Host names are given
    /// already written for the target (a manifest expression or a DNS name).
    /// </summary>
    public static List<KeyValuePair<string, object>> RedisEnvironment(RedisResource redis, string self, string sentinels, string initialMaster, bool sentinel)
    {
        var env = new List<KeyValuePair<string, object>>
        {
            new("REDIS_PASSWORD", redis.PasswordParameter),
            new("REDIS_SELF", self),
            new("REDIS_PORT", RedisResource.DefaultPort.ToString(CultureInfo.InvariantCulture)),
        };
        if (redis.Sentinel is { } s)
        {
            env.Add(new("REDIS_MASTER_NAME", s.MasterName));
            env.Add(new("REDIS_INITIAL_MASTER", initialMaster));
            env.Add(new("REDIS_SENTINELS", sentinels));
        }

        if (sentinel)
        {
            var s2 = redis.Sentinel!;
            env.Add(new("SENTINEL_PORT", RedisSentinelResource.DefaultPort.ToString(CultureInfo.InvariantCulture)));
            env.Add(new("SENTINEL_QUORUM", s2.Quorum.ToString(CultureInfo.InvariantCulture)));
            env.Add(new("SENTINEL_DOWN_AFTER_MS", ((long)s2.DownAfter.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)));
            env.Add(new("SENTINEL_FAILOVER_TIMEOUT_MS", ((long)s2.FailoverTimeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)));
        }
        else
        {
            env.Add(new("REDIS_MAXMEMORY", redis.MaxMemory));
            env.Add(new("REDIS_MAXMEMORY_POLICY", redis.MaxMemoryPolicy));
            env.Add(new("REDIS_APPENDONLY", redis.AppendOnly ? "yes" : "no"));
            env.Add(new("REDIS_APPENDFSYNC", redis.AppendFsync));
            env.Add(new("REDIS_SAVE", $"{((long)redis.Snapshot.Interval.TotalSeconds).ToString(CultureInfo.InvariantCulture)} {redis.Snapshot.KeysChanged.ToString(CultureInfo.InvariantCulture)}"));
        }

        return env;
    }

    /// <summary>The official postgres image creates the first database (<c>POSTGRES_DB</c>); this SQL creates the others on first start.</summary>
    public static string? ExtraDatabasesScript(PostgresServerResource postgres)
    {
        var extra = postgres.Databases.Values.Skip(1).ToList();
        return extra.Count == 0 ? null : string.Concat(extra.Select(d => $"CREATE DATABASE \"{d}\";\n"));
    }

    public static string PostgresEntrypointScript(PostgresServerResource postgres) =>
        ExtraDatabasesScript(postgres) is { } sql
            ? $"printf '%s' '{sql.Replace("'", "'\\''", StringComparison.Ordinal)}' > /docker-entrypoint-initdb.d/10-databases.sql && exec docker-entrypoint.sh postgres"
            : "exec docker-entrypoint.sh postgres";
}
