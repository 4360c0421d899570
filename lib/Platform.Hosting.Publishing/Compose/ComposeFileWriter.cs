using System.Globalization;
using System.Text;
using Aspire.Hosting;
using Platform.Hosting.Publishing.Model;

namespace Platform.Hosting.Publishing.Compose;

/// <summary>
/// docker-compose.yaml and .env in the shape of Aspire's Docker Compose publisher: a service per workload (named as
/// the resource, so every name in the model resolves on the Compose network), the Aspire dashboard for telemetry,
/// healthchecks from the probes and <c>depends_on</c> from <c>WaitFor</c>. Parameters are Compose variables from
/// <c>.env</c>: generated secrets are written there on the first publish and kept by every later one.
/// </summary>
internal static class ComposeFileWriter
{
    public const string ComposeFile = "docker-compose.yaml";

    public const string EnvFile = ".env";

    public static async Task<IReadOnlyList<string>> WriteAsync(PublishedApplication application, string directory, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var envPath = Path.Combine(directory, EnvFile);
        var existing = File.Exists(envPath)
            ? EnvFileFormat.Read(await File.ReadAllLinesAsync(envPath, cancellationToken).ConfigureAwait(false))
            : new Dictionary<string, string>(StringComparer.Ordinal);
        var compose = new ComposeFile(application);
        await File.WriteAllTextAsync(Path.Combine(directory, ComposeFile), compose.Build(), cancellationToken).ConfigureAwait(false);

        // .env holds the secrets: owner-only.
        await File.WriteAllTextAsync(envPath, compose.Env(existing), cancellationToken).ConfigureAwait(false);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(envPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return [ComposeFile, EnvFile];
    }
}

internal sealed class ComposeFile(PublishedApplication application)
{
    /// <summary>The Aspire dashboard: it receives the projects' telemetry (OTLP) and shows it on port 18888.</summary>
    public const string Dashboard = "dashboard";

    private const string Network = "aspire";
    private const int DashboardOtlpPort = 18889;
    private const int DashboardPort = 18888;

    private readonly List<EnvEntry> _env = [];

    public string Build()
    {
        if (application.Workloads.Any(w => w.Name == Dashboard))
        {
            throw new DistributedApplicationException($"A resource named '{Dashboard}' would clash with the Aspire dashboard's Compose service: rename it.");
        }

        foreach (var p in application.Parameters)
        {
            _env.Add(new EnvEntry(p.EnvironmentName, p.Secret
                ? $"Secret parameter {p.Name}" + (p.Generate is null ? ": required, set it before the first start" : ": generated once, keep it with the data")
                : $"Parameter {p.Name}", p.Secret ? null : p.DefaultValue ?? string.Empty, p));
        }

        var services = new YMap { { Dashboard, DashboardService() } };
        var volumes = new YMap();
        var configs = new YMap();
        foreach (var workload in application.Workloads)
        {
            services.Add(workload.Name, Service(workload, volumes, configs));
            if (workload.IsProject && workload.Volumes.Count > 0)
            {
                services.Add(VolumeOwnerService(workload), VolumeOwner(workload, services));
            }
        }

        var file = new YMap { { "name", application.Name }, { "services", services } };
        if (volumes.Count > 0)
        {
            file.Add("volumes", volumes);
        }

        if (configs.Count > 0)
        {
            file.Add("configs", configs);
        }

        file.Add("networks", new YMap { { Network, new YMap { { "driver", "bridge" } } } });
        return Yaml.Write(file, $"# {application.Name}, published from its Aspire application model. Variables come from .env beside this file.");
    }

    /// <summary>The .env file: every variable with a comment, keeping the values an earlier publish wrote (secrets above all).</summary>
    public string Env(IReadOnlyDictionary<string, string> existing)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in _env.Where(e => e.Parameter is not null || e.Default is not null))
        {
            values[entry.Name] = existing.TryGetValue(entry.Name, out var kept) && kept.Length > 0 ? kept
                : entry.Parameter is { Secret: true, Generate: { } generate } ? generate.GetDefaultValue()
                : entry.Default ?? string.Empty;
        }

        var text = new StringBuilder();
        foreach (var entry in _env)
        {
            var value = entry.Default is null && entry.Parameter is null
                // The URI-encoded copy of a parameter follows the parameter's (possibly edited) value.
                ? Uri.EscapeDataString(values[entry.EncodedFrom!])
                : values[entry.Name];
            text.Append("# ").Append(entry.Comment).Append('\n')
                .Append(entry.Name).Append('=').Append(EnvFileFormat.Quote(value)).Append("\n\n");
        }

        return text.ToString();
    }

    private YMap DashboardService()
    {
        var imageVar = AddVariable("DASHBOARD_IMAGE", "Image of the Aspire dashboard, which shows the projects' telemetry", "mcr.microsoft.com/dotnet/aspire-dashboard:latest");
        var portVar = AddVariable("DASHBOARD_PORT", "Host port of the dashboard", DashboardPort.ToString(CultureInfo.InvariantCulture));
        return new YMap
        {
            { "image", $"${{{imageVar}}}" },
            { "environment", new YMap { { "DOTNET_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS", "true" } } },
            { "ports", new List<object?> { $"${{{portVar}}}:{DashboardPort.ToString(CultureInfo.InvariantCulture)}" } },
            { "expose", new List<object?> { DashboardOtlpPort.ToString(CultureInfo.InvariantCulture) } },
            { "networks", new List<object?> { Network } },
            { "restart", "always" },
        };
    }

    private YMap Service(Workload workload, YMap volumes, YMap configs)
    {
        var service = new YMap();
        if (workload.Image is { } image)
        {
            service.Add("image", Escape(image));
        }
        else
        {
            var project = workload.ProjectPath is { } path ? Path.GetFileName(path) : workload.Name;
            var imageVar = AddVariable($"{PublishedParameter.ToEnvironmentName(workload.Name)}_IMAGE",
                $"Image of {workload.Name}: dotnet publish {project} -t:PublishContainer", $"{workload.Name}:latest");
            service.Add("image", $"${{{imageVar}}}");
        }

        if (workload.Entrypoint is { } entrypoint)
        {
            service.Add("entrypoint", new List<object?> { Escape(entrypoint) });
        }

        if (workload.Args.Count > 0)
        {
            service.Add("command", workload.Args.Select(a => (object?)Value(a)).ToList());
        }

        var environment = new YMap();
        foreach (var (name, value) in workload.Environment)
        {
            environment.Add(name, Value(value));
        }

        if (workload.IsProject)
        {
            environment.Add("OTEL_EXPORTER_OTLP_ENDPOINT", $"http://{Dashboard}:{DashboardOtlpPort.ToString(CultureInfo.InvariantCulture)}");
            environment.Add("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc");
        }

        if (environment.Count > 0)
        {
            service.Add("environment", environment);
        }

        if (workload.Ports.Count > 0)
        {
            service.Add("expose", workload.DistinctPorts.Select(p => (object?)p.TargetPort.ToString(CultureInfo.InvariantCulture)).ToList());
        }

        var external = workload.DistinctPorts.Where(p => p.IsExternal).ToList();
        if (external.Count > 0)
        {
            // Replicas cannot share a host port: each then gets one of Docker's choosing.
            service.Add("ports", external.Select((p, i) => (object?)(workload.Replicas > 1
                ? p.TargetPort.ToString(CultureInfo.InvariantCulture)
                : $"${{{AddVariable(PublishedParameter.ToEnvironmentName(i == 0 ? $"{workload.Name}-port" : $"{workload.Name}-{p.Name}-port"),
                    $"Host port of {workload.Name} ({p.Name})", (p.HostPort ?? p.TargetPort).ToString(CultureInfo.InvariantCulture))}}}:{p.TargetPort.ToString(CultureInfo.InvariantCulture)}")).ToList());
        }

        if (HealthCheck(workload.Readiness) is { } healthcheck)
        {
            service.Add("healthcheck", healthcheck);
        }

        if (workload.DependsOn.Count > 0)
        {
            var dependsOn = new YMap();
            foreach (var dependency in workload.DependsOn)
            {
                dependsOn.Add(dependency.Target.Name, new YMap
                {
                    {
                        "condition", dependency.Condition switch
                        {
                            DependencyCondition.Healthy => "service_healthy",
                            DependencyCondition.CompletedSuccessfully => "service_completed_successfully",
                            _ => "service_started",
                        }
                    },
                });
            }

            service.Add("depends_on", dependsOn);
        }

        if (workload.Volumes.Count > 0)
        {
            var mounts = new List<object?>();
            foreach (var volume in workload.Volumes)
            {
                var name = $"{workload.Name}-{VolumeNames.FromTarget(volume.Target)}";
                volumes.Add(name, new YMap());
                mounts.Add($"{name}:{volume.Target}{(volume.ReadOnly ? ":ro" : string.Empty)}");
            }

            service.Add("volumes", mounts);
        }

        if (workload.Files.Count > 0)
        {
            var mounts = new List<object?>();
            foreach (var file in workload.Files)
            {
                var name = $"{workload.Name}-{file.FileName}";
                configs.Add(name, new YMap { { "content", Escape(file.Content) } });
                mounts.Add(new YMap { { "source", name }, { "target", $"{file.Directory}/{file.FileName}" } });
            }

            service.Add("configs", mounts);
        }

        if (workload.Replicas > 1)
        {
            service.Add("deploy", new YMap { { "replicas", workload.Replicas } });
        }

        service.Add("networks", new List<object?> { Network });
        service.Add("restart", "unless-stopped");
        return service;
    }

    private static string VolumeOwnerService(Workload workload) => $"{workload.Name}-volumes";

    /// <summary>
    /// A one-shot service that hands a project's volumes to the user its image runs as (a new volume belongs to root;
    /// Kubernetes does this with <c>fsGroup</c>), from the project's own image; the project starts after it.
    /// </summary>
    private YMap VolumeOwner(Workload workload, YMap services)
    {
        var project = (YMap)services.Single(s => s.Key == workload.Name).Value!;
        var targets = string.Join(' ', workload.Volumes.Select(v => v.Target));
        var dependsOn = project.FirstOrDefault(e => e.Key == "depends_on").Value as YMap;
        if (dependsOn is null)
        {
            dependsOn = [];
            project.Insert(project.FindIndex(e => e.Key == "networks"), new("depends_on", dependsOn));
        }

        dependsOn.Add(VolumeOwnerService(workload), new YMap { { "condition", "service_completed_successfully" } });
        return new YMap
        {
            { "image", project.Single(e => e.Key == "image").Value },
            { "user", "root" },
            { "entrypoint", new List<object?> { "/bin/sh", "-c", $"chown -R {Workload.ProjectUserId}:{Workload.ProjectUserId} {targets}" } },
            { "volumes", project.Single(e => e.Key == "volumes").Value },
            { "restart", "no" },
        };
    }

    /// <summary>A value with its parameters as Compose variables (a required secret fails <c>docker compose</c> at once when unset).</summary>
    private string Value(PublishedValue value) => value.Render(Escape, part =>
    {
        var name = part.Parameter.EnvironmentName;
        if (part.UriEncoded)
        {
            var encoded = name + "_URI";
            if (_env.All(e => e.Name != encoded))
            {
                _env.Add(new EnvEntry(encoded, $"{part.Parameter.Name}, URI-encoded (rewritten from {name} on every publish)", null, null, name));
            }

            return $"${{{encoded}}}";
        }

        return part.Parameter is { Secret: true, Generate: null } ? $"${{{name}:?{name} is required (.env)}}" : $"${{{name}}}";
    });

    private string AddVariable(string name, string comment, string value)
    {
        if (_env.Any(e => e.Name == name))
        {
            throw new DistributedApplicationException($"Two Compose variables would be named {name}: rename a resource or a parameter.");
        }

        _env.Add(new EnvEntry(name, comment, value, null));
        return name;
    }

    /// <summary>A readiness probe as a Compose healthcheck; the commands run in the container, with its environment.</summary>
    private static YMap? HealthCheck(Probe? probe)
    {
        List<object?>? test = probe switch
        {
            null => null,
            // The .NET images have bash but no curl: an HTTP/1.0 GET over bash's /dev/tcp.
            HttpProbe http => ["CMD", "bash", "-c", Escape(
                $"exec 3<>/dev/tcp/127.0.0.1/{http.Port.TargetPort.ToString(CultureInfo.InvariantCulture)} && printf 'GET {http.Path} HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '")],
            CommandProbe command => ["CMD-SHELL", Escape(command.Command)],
            TcpProbe tcp => ["CMD", "bash", "-c", $"exec 3<>/dev/tcp/127.0.0.1/{tcp.Port.TargetPort.ToString(CultureInfo.InvariantCulture)}"],
            _ => throw new InvalidOperationException($"Unknown probe {probe.GetType().Name}."),
        };
        return test is null ? null : new YMap
        {
            { "test", test },
            { "interval", "5s" },
            { "timeout", "5s" },
            { "retries", 12 },
            { "start_period", "10s" },
        };
    }

    /// <summary>Compose interpolates <c>$</c> everywhere in the file: a literal one is doubled.</summary>
    public static string Escape(string text) => text.Replace("$", "$$", StringComparison.Ordinal);

    /// <summary>
    /// A line of .env: a parameter (<paramref name="Parameter"/>), a value with a default (image, port), or the
    /// URI-encoded copy of another variable (<paramref name="EncodedFrom"/>).
    /// </summary>
    private sealed record EnvEntry(string Name, string Comment, string? Default, PublishedParameter? Parameter, string? EncodedFrom = null);
}

/// <summary>
/// The .env syntax Compose reads: <c>NAME=value</c>; a single-quoted value is taken literally, which every value here
/// is (a generated password may hold characters a shell or Compose would interpret otherwise).
/// </summary>
internal static class EnvFileFormat
{
    public static string Quote(string value) => value.Contains('\'', StringComparison.Ordinal)
        ? throw new DistributedApplicationException("A value in .env cannot contain a single quote.")
        : $"'{value}'";

    public static Dictionary<string, string> Read(IEnumerable<string> lines)
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

            var value = trimmed[(eq + 1)..];
            if (value.Length >= 2 && value[0] == value[^1] && value[0] is '\'' or '"')
            {
                value = value[1..^1];
            }

            values[trimmed[..eq]] = value;
        }

        return values;
    }
}
