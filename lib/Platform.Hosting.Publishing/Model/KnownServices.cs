using System.Globalization;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;

namespace Platform.Hosting.Publishing.Model;

/// <summary>
/// What the model knows but does not say in a form a deployment can use: probes of projects (ServiceDefaults' health
/// endpoints), of Redis nodes and Sentinels and of PostgreSQL; the databases PostgreSQL creates on its first start;
/// the start order of a Sentinel topology; and <c>WaitFor</c> mapped onto the workloads behind the awaited resource.
/// </summary>
internal static class KnownServices
{
    /// <summary>ServiceDefaults maps these in every project: ready when every health check passes, alive while it answers.</summary>
    public const string ReadinessPath = "/health";

    public const string LivenessPath = "/alive";

    private const string PostgresInitDirectory = "/docker-entrypoint-initdb.d";

    public static void Apply(IReadOnlyList<Workload> workloads)
    {
        var byName = workloads.ToDictionary(w => w.Name, StringComparer.Ordinal);
        foreach (var workload in workloads)
        {
            switch (workload.Resource)
            {
                case ProjectResource project:
                    ProjectProbes(workload, project);
                    break;
                case PostgresServerResource postgres:
                    Postgres(workload, postgres);
                    break;
                case var resource when resource.Annotations.OfType<RedisSentinelRoleAnnotation>().FirstOrDefault() is { } role:
                    Redis(workload, role, byName);
                    break;
            }
        }

        foreach (var workload in workloads)
        {
            foreach (var wait in workload.Resource.Annotations.OfType<WaitAnnotation>())
            {
                foreach (var target in Behind(wait.Resource, byName, []))
                {
                    var condition = wait.WaitType == WaitType.WaitForCompletion ? DependencyCondition.CompletedSuccessfully
                        : target.Readiness is null ? DependencyCondition.Started
                        : DependencyCondition.Healthy;
                    if (target != workload && workload.DependsOn.All(d => d.Target != target))
                    {
                        workload.DependsOn.Add(new Dependency(target, condition));
                    }
                }
            }
        }
    }

    /// <summary>HTTP probes the model declares (<c>WithHttpProbe</c>), else ServiceDefaults' endpoints on the http port.</summary>
    private static void ProjectProbes(Workload workload, ProjectResource project)
    {
        foreach (var probe in project.Annotations.OfType<EndpointProbeAnnotation>())
        {
            var port = workload.Ports.Single(p => p.Name == probe.EndpointReference.EndpointName);
            var http = new HttpProbe(probe.Path, port);
            switch (probe.Type)
            {
                case ProbeType.Readiness:
                    workload.Readiness = http;
                    break;
                case ProbeType.Liveness:
                    workload.Liveness = http;
                    break;
            }
        }

        if (workload.HttpPort is { } httpPort)
        {
            workload.Readiness ??= new HttpProbe(ReadinessPath, httpPort);
            workload.Liveness ??= new HttpProbe(LivenessPath, httpPort);
        }
    }

    /// <summary>
    /// A node is ready when it answers PING, a Sentinel when it names a master. redis-cli takes the password from
    /// REDISCLI_AUTH, set inside the probe's shell from the container's own variable, so it is never on a command line.
    /// Sentinels start after the nodes (they resolve the nodes' names when they read their configuration), replicas
    /// after the first master.
    /// </summary>
    private static void Redis(Workload workload, RedisSentinelRoleAnnotation role, IReadOnlyDictionary<string, Workload> byName)
    {
        var port = workload.Ports.Single();
        var password = workload.Environment.FirstOrDefault(e => e.Value.AsParameter?.Resource == role.Redis.PasswordParameter).Key
            ?? throw new DistributedApplicationException($"'{workload.Name}' has no environment variable with the password of '{role.Redis.Name}'.");
        var cli = $"REDISCLI_AUTH=\"${password}\" redis-cli -p {port.TargetPort.ToString(CultureInfo.InvariantCulture)}";
        workload.Readiness = role.IsSentinel
            // The reply is the master's host and port: its last line must be a number.
            ? new CommandProbe($"{cli} SENTINEL get-master-addr-by-name {RedisSentinelResource.MasterName} | tail -n 1 | grep -Eq '^[0-9]+$'")
            : new CommandProbe($"{cli} PING | grep -q PONG");
        workload.Liveness = new TcpProbe(port);

        var nodes = role.Redis.Nodes.Select(n => byName[n.Name]);
        foreach (var node in role.IsSentinel ? nodes : nodes.Take(role.Index == 0 ? 0 : 1))
        {
            workload.DependsOn.Add(new Dependency(node, DependencyCondition.Started));
        }
    }

    /// <summary>
    /// Ready when it accepts connections; on the first start of an empty data volume the official image runs the files
    /// in /docker-entrypoint-initdb.d, which create the model's databases (Aspire creates them from the AppHost in run
    /// mode only). A database added later is not created on an existing volume.
    /// </summary>
    private static void Postgres(Workload workload, PostgresServerResource postgres)
    {
        var port = workload.Ports.Single(p => p.Name == postgres.PrimaryEndpoint.EndpointName);
        var ready = new CommandProbe($"pg_isready -h 127.0.0.1 -p {port.TargetPort.ToString(CultureInfo.InvariantCulture)} -U \"$POSTGRES_USER\"");
        workload.Readiness = ready;
        workload.Liveness = ready;
        foreach (var (resourceName, databaseName) in postgres.Databases)
        {
            // WithCreationScript's annotation is internal to Aspire.Hosting.PostgreSQL: the default statement it is.
            var script = $"CREATE DATABASE \"{databaseName.Replace("\"", "\"\"", StringComparison.Ordinal)}\";\n";
            workload.Files.Add(new PublishedFile(PostgresInitDirectory, $"{resourceName}.sql", script));
        }
    }

    /// <summary>The workloads a resource stands for: itself, or those its connection string points at, or its parent's.</summary>
    private static IEnumerable<Workload> Behind(object value, IReadOnlyDictionary<string, Workload> byName, HashSet<object> seen)
    {
        if (!seen.Add(value))
        {
            return [];
        }

        return value switch
        {
            IResource resource when byName.TryGetValue(resource.Name, out var workload) && workload.Resource == resource => [workload],
            IResourceWithConnectionString resource => Behind(resource.ConnectionStringExpression, byName, seen),
            IResourceWithParent child => Behind(child.Parent, byName, seen),
            ReferenceExpression expression => expression.ValueProviders.SelectMany(v => Behind(v, byName, seen)).ToList(),
            ConnectionStringReference reference => Behind(reference.Resource, byName, seen),
            EndpointReference endpoint => Behind(endpoint.Resource, byName, seen),
            EndpointReferenceExpression expression => Behind(expression.Endpoint.Resource, byName, seen),
            _ => [],
        };
    }
}
