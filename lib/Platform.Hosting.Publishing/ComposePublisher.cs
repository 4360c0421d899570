using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Platform.Hosting.ApplicationModel;

namespace Platform.Hosting.Publishing;

/// <summary>
/// docker-compose.yaml and .env in the shape of Aspire's Docker Compose publisher: one service per Redis node and
/// Sentinel, Postgres, each project (image from .env), the Aspire dashboard for telemetry; healthchecks and
/// <c>depends_on</c> conditions from WaitFor. Secrets are generated into .env once and kept when publishing again.
/// </summary>
internal sealed partial class ComposePublisher(PublishingOptions options, ILogger<ComposePublisher> logger) : IDistributedApplicationPublisher
{
    public const string Name = "compose";

    public const string DashboardImage = "mcr.microsoft.com/dotnet/aspire-dashboard:9.5";

    public async Task PublishAsync(DistributedApplicationModel model, DistributedApplicationExecutionContext executionContext, CancellationToken cancellationToken)
    {
        var directory = executionContext.OutputPath ?? throw new DistributedApplicationException("--publisher compose needs --output-path <directory>.");
        Directory.CreateDirectory(directory);
        var envPath = Path.Combine(directory, ".env");
        var existing = File.Exists(envPath) ? ReadEnvFile(await File.ReadAllLinesAsync(envPath, cancellationToken).ConfigureAwait(false)) : [];
        var compose = new ComposeFile(new PublishContext(model, executionContext, options));
        await File.WriteAllTextAsync(Path.Combine(directory, "docker-compose.yaml"), compose.Build(), cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(envPath, compose.EnvFile(existing), cancellationToken).ConfigureAwait(false);
        if (!OperatingSystem.IsWindows())
        {
            // .env holds the generated secrets.
            File.SetUnixFileMode(envPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        LogWritten(logger, directory);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Wrote docker-compose.yaml and .env to {Directory}")]
    private static partial void LogWritten(ILogger logger, string directory);

    internal static Dictionary<string, string> ReadEnvFile(IEnumerable<string> lines)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            var trimmed = line.Trim();
            var eq = trimmed.IndexOf('=', StringComparison.Ordinal);
            if (trimmed.Length == 0 || trimmed.StartsWith('#') || eq <= 0)
            {
                continue;
            }

            values[trimmed[..eq]] = trimmed[(eq + 1)..];
        }

        return values;
    }
}

internal sealed class ComposeFile(PublishContext context)
{
    private const string Network = "aspire";
    private const string Dashboard = "dashboard";
    private readonly List<(string Name, string Comment, string? Default, ParameterResource? Secret)> _env = [];

    private static string EnvName(string resource, string suffix) => $"{resource.ToUpperInvariant().Replace('-', '_')}_{suffix}";

    public string Build()
    {
        var services = new YMap
        {
            {
                Dashboard, new YMap
                {
                    { "image", ComposePublisher.DashboardImage },
                    { "environment", new YMap { { "DOTNET_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS", "true" } } },
                    { "ports", new List<object?> { "18888:18888" } },
                    { "expose", new List<object?> { "18889" } },
                    { "networks", new List<object?> { Network } },
                    { "restart", "always" },
                }
            },
        };
        var volumes = new YMap();
        foreach (var p in context.Parameters)
        {
            _env.Add((PublishContext.EnvironmentName(p), $"Parameter {p.Name}{(p.Secret ? " (secret: generated once, keep it with the data)" : string.Empty)}", null, p.Secret ? p : null));
        }

        foreach (var resource in context.Model.Resources)
        {
            switch (resource)
            {
                case RedisResource redis:
                    AddRedis(services, volumes, redis);
                    break;
                case RedisSentinelResource sentinel:
                    AddSentinels(services, sentinel);
                    break;
                case PostgresServerResource postgres:
                    AddPostgres(services, volumes, postgres);
                    break;
                case ProjectResource project:
                    AddProject(services, volumes, project);
                    break;
            }
        }

        var file = new YMap
        {
            { "name", context.Options.ApplicationName },
            { "services", services },
            { "networks", new YMap { { Network, new YMap { { "driver", "bridge" } } } } },
        };
        if (volumes.Count > 0)
        {
            file.Add("volumes", volumes);
        }

        return Yaml.Write(file);
    }

    public string EnvFile(IReadOnlyDictionary<string, string> existing)
    {
        var sb = new StringBuilder();
        foreach (var (name, comment, @default, secret) in _env)
        {
            var value = existing.TryGetValue(name, out var kept) && kept.Length > 0 ? kept
                : secret?.Default is { } generate ? generate.Generate()
                : @default ?? string.Empty;
            sb.Append("# ").Append(comment).Append('\n').Append(name).Append('=').Append(value).Append("\n\n");
        }

        return sb.ToString();
    }

    private YMap Service(string image, List<KeyValuePair<string, object>> env, IEnumerable<int> ports)
    {
        var environment = new YMap();
        foreach (var (name, value) in env)
        {
            environment.Add(name, new ComposeValueRenderer(context).Render(value));
        }

        return new YMap
        {
            { "image", image },
            { "environment", environment },
            { "expose", ports.Select(p => (object?)p.ToString(CultureInfo.InvariantCulture)).ToList() },
            { "networks", new List<object?> { Network } },
            { "restart", "unless-stopped" },
        };
    }

    private static YMap HealthCheck(List<object?> test, string interval = "5s") => new()
    {
        { "test", test },
        { "interval", interval },
        { "timeout", "5s" },
        { "retries", 12 },
        { "start_period", "10s" },
    };

    private void AddRedis(YMap services, YMap volumes, RedisResource redis)
    {
        var names = PublishContext.InstanceNames(redis);
        var sentinels = redis.Sentinel is { } s
            ? string.Join(',', PublishContext.InstanceNames(s).Select(n => $"{n}:{RedisSentinelResource.DefaultPort.ToString(CultureInfo.InvariantCulture)}"))
            : string.Empty;
        var volume = PublishContext.RedisVolume(redis);
        for (var i = 0; i < names.Count; i++)
        {
            var service = Service(PublishContext.Image(redis), PublishContext.RedisEnvironment(redis, names[i], sentinels, names[0], sentinel: false), [RedisResource.DefaultPort]);
            service.Insert(1, new("entrypoint", new List<object?> { "/bin/sh", "-c", Escape(RedisScripts.Node) }));
            service.Add("healthcheck", HealthCheck(["CMD-SHELL", Escape(RedisScripts.NodeCheck)]));
            if (volume is not null)
            {
                var name = i == 0 ? volume.Name : $"{volume.Name}-{i.ToString(CultureInfo.InvariantCulture)}";
                volumes.Add(name, new YMap());
                service.Add("volumes", new List<object?> { $"{name}:{volume.TargetPath}" });
            }

            services.Add(names[i], service);
        }
    }

    private void AddSentinels(YMap services, RedisSentinelResource sentinel)
    {
        var names = PublishContext.InstanceNames(sentinel);
        var all = string.Join(',', names.Select(n => $"{n}:{RedisSentinelResource.DefaultPort.ToString(CultureInfo.InvariantCulture)}"));
        var master = PublishContext.InstanceNames(sentinel.Parent)[0];
        foreach (var name in names)
        {
            var service = Service(PublishContext.Image(sentinel), PublishContext.RedisEnvironment(sentinel.Parent, name, all, master, sentinel: true), [RedisSentinelResource.DefaultPort]);
            service.Insert(1, new("entrypoint", new List<object?> { "/bin/sh", "-c", Escape(RedisScripts.Sentinel) }));
            service.Add("healthcheck", HealthCheck(["CMD-SHELL", Escape(RedisScripts.SentinelCheck)]));
            // A Sentinel resolves the master's name at start: the first data node must exist by then.
            service.Add("depends_on", new YMap { { master, new YMap { { "condition", "service_started" } } } });
            services.Add(name, service);
        }
    }

    private void AddPostgres(YMap services, YMap volumes, PostgresServerResource postgres)
    {
        var env = new List<KeyValuePair<string, object>>
        {
            new("POSTGRES_HOST_AUTH_METHOD", "scram-sha-256"),
            new("POSTGRES_INITDB_ARGS", "--auth-host=scram-sha-256 --auth-local=scram-sha-256"),
            new("POSTGRES_USER", postgres.UserName),
            new("POSTGRES_PASSWORD", postgres.PasswordParameter),
        };
        var firstDb = postgres.Databases.Values.FirstOrDefault();
        if (firstDb is not null)
        {
            env.Add(new("POSTGRES_DB", firstDb));
        }

        var service = Service(PublishContext.Image(postgres), env, [PostgresServerResource.DefaultPort]);
        if (PublishContext.ExtraDatabasesScript(postgres) is not null)
        {
            service.Insert(1, new("entrypoint", new List<object?> { "/bin/sh", "-c", Escape(PublishContext.PostgresEntrypointScript(postgres)) }));
        }

        service.Add("healthcheck", HealthCheck(["CMD", "pg_isready", "-U", postgres.UserName, "-d", firstDb ?? "postgres", "-h", "127.0.0.1"]));
        if (PublishContext.DataVolume(postgres) is { } volume)
        {
            volumes.Add(volume.Name, new YMap());
            service.Add("volumes", new List<object?> { $"{volume.Name}:{volume.TargetPath}" });
        }

        services.Add(postgres.Name, service);
    }

    private void AddProject(YMap services, YMap volumes, ProjectResource project)
    {
        var imageVar = EnvName(project.Name, "IMAGE");
        _env.Add((imageVar, $"Container image of {project.Name} (dotnet publish {Path.GetFileName(project.Metadata.ProjectPath)} -t:PublishContainer)", context.ProjectImage(project), null));
        var env = context.Environment(project);
        env.Add(new("OTEL_EXPORTER_OTLP_ENDPOINT", $"http://{Dashboard}:18889"));
        env.Add(new("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"));
        env.Add(new("OTEL_SERVICE_NAME", project.Name));
        var endpoints = PublishContext.Endpoints(project).ToList();
        var service = Service($"${{{imageVar}}}", env, endpoints.Select(context.TargetPort));
        var args = PublishContext.Args(project).Select(a => (object?)new ComposeValueRenderer(context).Render(a)).ToList();
        if (args.Count > 0)
        {
            service.Insert(1, new("command", args));
        }

        var external = endpoints.Where(e => e.IsExternal).ToList();
        if (external.Count > 0 && project.Replicas == 1)
        {
            var ports = new List<object?>();
            foreach (var e in external)
            {
                var portVar = EnvName(project.Name, $"{e.Name.ToUpperInvariant()}_PORT");
                _env.Add((portVar, $"Host port of {project.Name}'s {e.Name} endpoint", (e.Port ?? context.TargetPort(e)).ToString(CultureInfo.InvariantCulture), null));
                ports.Add($"${{{portVar}}}:{context.TargetPort(e).ToString(CultureInfo.InvariantCulture)}");
            }

            service.Add("ports", ports);
        }

        if (endpoints.FirstOrDefault(e => e.Transport == "http") is { } http)
        {
            // The .NET images have bash but no curl: an HTTP/1.0 GET over bash's /dev/tcp.
            var port = context.TargetPort(http).ToString(CultureInfo.InvariantCulture);
            var probe = $"exec 3<>/dev/tcp/127.0.0.1/{port} && printf 'GET {PublishContext.ReadinessPath(project)} HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '";
            service.Add("healthcheck", HealthCheck(["CMD", "bash", "-c", Escape(probe)], "10s"));
        }

        var dependsOn = new YMap();
        foreach (var wait in PublishContext.Waits(project))
        {
            var condition = wait.WaitType == WaitType.WaitForCompletion ? "service_completed_successfully" : "service_healthy";
            foreach (var target in WaitTargets(wait.Resource))
            {
                if (!dependsOn.Any(d => d.Key == target))
                {
                    dependsOn.Add(target, new YMap { { "condition", condition } });
                }
            }
        }

        if (dependsOn.Count > 0)
        {
            service.Add("depends_on", dependsOn);
        }

        if (PublishContext.DataVolume(project) is { } volume)
        {
            volumes.Add(volume.Name, new YMap());
            service.Add("volumes", new List<object?> { $"{volume.Name}:{volume.TargetPath}" });
        }

        if (project.Replicas > 1)
        {
            service.Add("deploy", new YMap { { "replicas", project.Replicas } });
        }

        services.Add(project.Name, service);
    }

    /// <summary>The services a WaitFor means: every node and Sentinel of a Redis, the server of a database.</summary>
    private static IEnumerable<string> WaitTargets(IResource resource) => resource switch
    {
        RedisResource { Sentinel: { } s } r => PublishContext.InstanceNames(r).Concat(PublishContext.InstanceNames(s)),
        PostgresDatabaseResource db => [db.Parent.Name],
        IResourceWithParent child => WaitTargets(child.Parent),
        _ => PublishContext.InstanceNames(resource),
    };

    /// <summary>Compose interpolates <c>$</c> everywhere; the scripts' own variables must reach the shell.</summary>
    private static string Escape(string text) => text.Replace("$", "$$", StringComparison.Ordinal);
}
