using System.Globalization;
using Platform.Hosting.ApplicationModel;

namespace Platform.Hosting.Publishing;

/// <summary>Redis with Sentinel and PostgreSQL as StatefulSets.</summary>
internal sealed partial class HelmChart
{
    private static string Headless(IResource resource) => $"{resource.Name}-headless";

    private static string Scripts(RedisResource redis) => $"{redis.Name}-scripts";

    private static string SentinelList(RedisResource redis) => redis.Sentinel is { } s
        ? string.Join(',', Enumerable.Range(0, s.Instances).Select(i => $"{HelmValueRenderer.Host(s, i)}:{RedisSentinelResource.DefaultPort.ToString(CultureInfo.InvariantCulture)}"))
        : string.Empty;

    /// <summary>
    /// Redis data nodes: a StatefulSet with a volume per pod. Each pod asks the Sentinels for the current master before
    /// it starts (scripts ConfigMap), so a restarted pod rejoins as a replica of whoever was promoted meanwhile.
    /// </summary>
    private void AddRedis(RedisResource redis)
    {
        AddFile(redis.Name, "scripts", new YMap
        {
            { "apiVersion", "v1" }, { "kind", "ConfigMap" }, { "metadata", Metadata(Scripts(redis), redis.Name) },
            { "data", new YMap { { "node.sh", RedisScripts.Node }, { "sentinel.sh", RedisScripts.Sentinel } } },
        });
        var env = RedisEnv(redis, sentinel: false);
        var volume = PublishContext.RedisVolume(redis);
        var container = new YMap
        {
            { "name", "redis" },
            { "image", PublishContext.Image(redis) },
            { "command", new List<object?> { "/bin/sh", "/scripts/node.sh" } },
            { "env", env },
            { "ports", new List<object?> { Port(RedisResource.PrimaryEndpointName, RedisResource.DefaultPort) } },
            { "readinessProbe", ExecProbe(RedisScripts.NodeCheck, 5, 5) },
            { "livenessProbe", new YMap { { "tcpSocket", new YMap { { "port", RedisResource.PrimaryEndpointName } } }, { "initialDelaySeconds", 15 }, { "periodSeconds", 10 } } },
            { "volumeMounts", new List<object?> { Mount("data", "/data"), Mount("scripts", "/scripts") } },
            { "imagePullPolicy", "IfNotPresent" },
        };
        var volumes = new List<object?> { ScriptsVolume(redis) };
        if (volume is null)
        {
            volumes.Add(new YMap { { "name", "data" }, { "emptyDir", new YMap() } });
        }

        AddFile(redis.Name, "statefulset", StatefulSet(redis.Name, redis.Instances, Headless(redis), container, volumes, volume is null ? null : Storage("data")));
        AddFile(redis.Name, "headless", HeadlessService(redis.Name, RedisResource.PrimaryEndpointName, RedisResource.DefaultPort));
        AddFile(redis.Name, "pdb", Disruption(redis.Name, "maxUnavailable", 1));
    }

    /// <summary>Three (or more) Sentinels, spread across nodes; at most one may be taken down on purpose at a time.</summary>
    private void AddSentinels(RedisSentinelResource sentinel)
    {
        var container = new YMap
        {
            { "name", "sentinel" },
            { "image", PublishContext.Image(sentinel) },
            { "command", new List<object?> { "/bin/sh", "/scripts/sentinel.sh" } },
            { "env", RedisEnv(sentinel.Parent, sentinel: true) },
            { "ports", new List<object?> { Port(RedisSentinelResource.PrimaryEndpointName, RedisSentinelResource.DefaultPort) } },
            { "readinessProbe", ExecProbe(RedisScripts.SentinelCheck, 5, 5) },
            { "livenessProbe", new YMap { { "tcpSocket", new YMap { { "port", RedisSentinelResource.PrimaryEndpointName } } }, { "initialDelaySeconds", 15 }, { "periodSeconds", 10 } } },
            { "volumeMounts", new List<object?> { Mount("data", "/data"), Mount("scripts", "/scripts") } },
            { "imagePullPolicy", "IfNotPresent" },
        };
        var volumes = new List<object?> { ScriptsVolume(sentinel.Parent), new YMap { { "name", "data" }, { "emptyDir", new YMap() } } };
        AddFile(sentinel.Name, "statefulset", StatefulSet(sentinel.Name, sentinel.Instances, Headless(sentinel), container, volumes, null));
        AddFile(sentinel.Name, "headless", HeadlessService(sentinel.Name, RedisSentinelResource.PrimaryEndpointName, RedisSentinelResource.DefaultPort));
        AddFile(sentinel.Name, "pdb", Disruption(sentinel.Name, "minAvailable", sentinel.Quorum));
    }

    private List<object?> RedisEnv(RedisResource redis, bool sentinel)
    {
        var headless = sentinel ? Headless(redis.Sentinel!) : Headless(redis);
        var env = new List<object?> { FieldEnv("POD_NAME", "metadata.name") };
        foreach (var (name, value) in PublishContext.RedisEnvironment(redis, $"$(POD_NAME).{headless}", SentinelList(redis), HelmValueRenderer.Host(redis, 0), sentinel))
        {
            if (value is not ParameterResource p)
            {
                env.Add(Env(name, (string)value));
                continue;
            }

            env.Add(ParameterEnv(p));
            if (PublishContext.EnvironmentName(p) != name)
            {
                env.Add(Env(name, $"$({PublishContext.EnvironmentName(p)})"));
            }
        }

        return env;
    }

    private void AddPostgres(PostgresServerResource postgres)
    {
        var env = new List<object?> { ParameterEnv(postgres.PasswordParameter) };
        if (PublishContext.EnvironmentName(postgres.PasswordParameter) != "POSTGRES_PASSWORD")
        {
            env.Add(Env("POSTGRES_PASSWORD", $"$({PublishContext.EnvironmentName(postgres.PasswordParameter)})"));
        }

        env.AddRange(
        [
            Env("POSTGRES_USER", postgres.UserName),
            Env("POSTGRES_HOST_AUTH_METHOD", "scram-sha-256"),
            Env("POSTGRES_INITDB_ARGS", "--auth-host=scram-sha-256 --auth-local=scram-sha-256"),
            // The volume's root holds lost+found on most storage classes; initdb needs an empty folder.
            Env("PGDATA", "/var/lib/postgresql/data/pgdata"),
        ]);
        var firstDb = postgres.Databases.Values.FirstOrDefault();
        if (firstDb is not null)
        {
            env.Add(Env("POSTGRES_DB", firstDb));
        }

        var check = $"pg_isready -U {postgres.UserName} -d {firstDb ?? "postgres"} -h 127.0.0.1";
        var volume = PublishContext.DataVolume(postgres);
        var container = new YMap
        {
            { "name", "postgres" },
            { "image", PublishContext.Image(postgres) },
            { "command", new List<object?> { "/bin/sh", "-c", PublishContext.PostgresEntrypointScript(postgres) } },
            { "env", env },
            { "ports", new List<object?> { Port(PostgresServerResource.PrimaryEndpointName, PostgresServerResource.DefaultPort) } },
            { "readinessProbe", ExecProbe(check, 5, 5) },
            { "livenessProbe", ExecProbe(check, 30, 10) },
            { "volumeMounts", new List<object?> { Mount("data", "/var/lib/postgresql/data") } },
            { "imagePullPolicy", "IfNotPresent" },
        };
        var volumes = volume is null ? new List<object?> { new YMap { { "name", "data" }, { "emptyDir", new YMap() } } } : [];
        AddFile(postgres.Name, "statefulset", StatefulSet(postgres.Name, 1, $"{postgres.Name}-service", container, volumes, volume is null ? null : Storage("data")));
        AddFile(postgres.Name, "service", Service(postgres.Name, [(PostgresServerResource.PrimaryEndpointName, PostgresServerResource.DefaultPort)], affinity: false));
    }

    private YMap StatefulSet(string component, int replicas, string serviceName, YMap container, List<object?> volumes, YMap? claim)
    {
        var pod = new YMap { { "containers", new List<object?> { container } } };
        if (volumes.Count > 0)
        {
            pod.Add("volumes", volumes);
        }

        if (replicas > 1)
        {
            pod.Add("affinity", SpreadAcrossNodes(component));
        }

        var spec = new YMap
        {
            { "serviceName", serviceName },
            { "replicas", replicas },
            // Pods start and restart independently: one unready Redis must not hold back the others.
            { "podManagementPolicy", "Parallel" },
            { "selector", new YMap { { "matchLabels", Labels(component) } } },
            { "template", new YMap { { "metadata", new YMap { { "labels", Labels(component) } } }, { "spec", pod } } },
            { "updateStrategy", new YMap { { "type", "RollingUpdate" } } },
        };
        if (claim is not null)
        {
            spec.Add("volumeClaimTemplates", new List<object?> { claim });
        }

        return new YMap { { "apiVersion", "apps/v1" }, { "kind", "StatefulSet" }, { "metadata", Metadata(component, component) }, { "spec", spec } };
    }

    /// <summary>Stable DNS per pod (redis-0.redis-headless), published before readiness so Sentinels can resolve a starting pod.</summary>
    private YMap HeadlessService(string component, string portName, int port) => new()
    {
        { "apiVersion", "v1" }, { "kind", "Service" }, { "metadata", Metadata($"{component}-headless", component) },
        {
            "spec", new YMap
            {
                { "clusterIP", "None" },
                { "publishNotReadyAddresses", true },
                { "selector", Labels(component) },
                { "ports", new List<object?> { new YMap { { "name", portName }, { "protocol", "TCP" }, { "port", port }, { "targetPort", port } } } },
            }
        },
    };

    private YMap Service(string component, IEnumerable<(string Name, int Port)> ports, bool affinity)
    {
        var spec = new YMap
        {
            { "type", "ClusterIP" },
            { "selector", Labels(component) },
            { "ports", ports.Select(p => (object?)new YMap { { "name", p.Name }, { "protocol", "TCP" }, { "port", p.Port }, { "targetPort", p.Port } }).ToList() },
        };
        if (affinity)
        {
            // Several replicas: a client keeps reaching the same pod (SignalR negotiate, then its connection).
            spec.Add("sessionAffinity", "ClientIP");
            spec.Add("sessionAffinityConfig", new YMap { { "clientIP", new YMap { { "timeoutSeconds", 10800 } } } });
        }

        return new YMap { { "apiVersion", "v1" }, { "kind", "Service" }, { "metadata", Metadata($"{component}-service", component) }, { "spec", spec } };
    }

    private YMap Disruption(string component, string field, int count) => new()
    {
        { "apiVersion", "policy/v1" }, { "kind", "PodDisruptionBudget" }, { "metadata", Metadata($"{component}-pdb", component) },
        { "spec", new YMap { { field, count }, { "selector", new YMap { { "matchLabels", Labels(component) } } } } },
    };

    private static YMap Port(string name, int port) => new() { { "name", name }, { "protocol", "TCP" }, { "containerPort", port } };

    private static YMap Mount(string name, string path) => new() { { "name", name }, { "mountPath", path } };

    private static YMap ExecProbe(string command, int initialDelay, int period) => new()
    {
        { "exec", new YMap { { "command", new List<object?> { "/bin/sh", "-c", command } } } },
        { "initialDelaySeconds", initialDelay },
        { "periodSeconds", period },
        { "timeoutSeconds", 5 },
    };

    private static YMap ScriptsVolume(RedisResource redis) => new()
    {
        { "name", "scripts" },
        { "configMap", new YMap { { "name", Scripts(redis) }, { "defaultMode", 493 } } },
    };
}
