using System.Globalization;
using System.Net.Http;
using System.Xml.Linq;
using Platform.Hosting.ApplicationModel;

namespace Platform.Hosting.Orchestration;

internal sealed class ParameterRuntime(ParameterResource parameter) : ResourceRuntime(parameter, 1)
{
    public override string Kind => "Parameter";

    public override bool HasProcess => false;

    public ParameterResource Parameter => parameter;

    /// <summary>Configuration first (Parameters:name), then the generated-secrets store, generating when there is a default.</summary>
    public string? Resolve(RunContext context, SecretStore secrets)
    {
        var configured = context.Configuration[Parameter.ConfigurationKey];
        if (!string.IsNullOrEmpty(configured))
        {
            Parameter.SetValue(configured);
            return null;
        }

        if (Parameter.Default is { } generator)
        {
            Parameter.SetValue(secrets.GetOrAdd(Parameter.ConfigurationKey, generator.Generate));
            return null;
        }

        return $"Parameter '{Parameter.Name}' has no value: set {Parameter.ConfigurationKey} in the AppHost's configuration " +
               $"(appsettings.json, or the environment variable Parameters__{Parameter.Name}).";
    }
}

internal sealed class ProjectRuntime(ProjectResource project) : ResourceRuntime(project, project.Replicas)
{
    public override string Kind => "Project";

    public ProjectResource Project => project;

    /// <summary>
    /// Explicit HTTP checks; otherwise a web project is ready once its HTTP endpoint accepts connections, so a service
    /// that dies while starting never counts as healthy. Other projects are healthy while running (as in Aspire).
    /// </summary>
    public override bool HasHealthProbe => Project.Annotations.OfType<HttpHealthCheckAnnotation>().Any() || ListensForHttp;

    private bool ListensForHttp => _isWeb.Value && Project.Annotations.OfType<EndpointAnnotation>().Any(e => e.Transport == "http");

    private readonly Lazy<bool> _isWeb = new(() => IsWebProject(project.Metadata.ProjectPath));

    private static bool IsWebProject(string projectPath)
    {
        try
        {
            return XDocument.Load(projectPath).Root?.Attribute("Sdk")?.Value.Contains("Microsoft.NET.Sdk.Web", StringComparison.OrdinalIgnoreCase) == true;
        }
        catch (Exception ex) when (ex is IOException or System.Xml.XmlException)
        {
            return false;
        }
    }

    public override string? ContainerImage => null;

    public override async Task<LaunchSpec> CreateLaunchSpecAsync(InstanceRuntime instance, RunContext context, CancellationToken cancellationToken)
    {
        var dll = FindBuiltAssembly(Project.Metadata.ProjectPath, context.Options.ProjectConfiguration ?? "Release");
        var env = await EvaluateEnvironmentAsync(Project, context, cancellationToken).ConfigureAwait(false);
        var urls = Project.Annotations.OfType<EndpointAnnotation>().Where(e => e.Transport == "http")
            .Select(e => $"{e.Scheme}://127.0.0.1:{PortOf(instance, e.Name).ToString(CultureInfo.InvariantCulture)}").ToList();
        var standard = new List<EnvironmentVariableSnapshot>
        {
            new("DOTNET_ENVIRONMENT", context.HostEnvironment.EnvironmentName, false),
            new("ASPNETCORE_ENVIRONMENT", context.HostEnvironment.EnvironmentName, false),
            new("OTEL_SERVICE_NAME", Project.Name, false),
            new("OTEL_RESOURCE_ATTRIBUTES", $"service.instance.id={instance.Name}", false),
            new("DOTNET_SYSTEM_CONSOLE_ALLOW_ANSI_COLOR_REDIRECTION", "false", false),
        };
        if (urls.Count > 0)
        {
            standard.Add(new("ASPNETCORE_URLS", string.Join(';', urls), false));
        }

        if (context.Options.OtlpEndpoint is { } otlp)
        {
            standard.Add(new("OTEL_EXPORTER_OTLP_ENDPOINT", otlp.ToString().TrimEnd('/'), false));
            standard.Add(new("OTEL_EXPORTER_OTLP_PROTOCOL", context.Options.OtlpProtocol, false));
            if (context.Options.OtlpHeaders is { } headers)
            {
                standard.Add(new("OTEL_EXPORTER_OTLP_HEADERS", headers, true));
            }
        }

        // The model's own variables win over the defaults.
        var merged = standard.Where(s => !env.Any(e => e.Name == s.Name)).Concat(env).ToList();
        var args = new List<string> { dll };
        foreach (var a in Project.Annotations.OfType<CommandLineArgsAnnotation>().SelectMany(a => a.Args))
        {
            args.Add(await ResolveAsync(a, cancellationToken).ConfigureAwait(false) ?? string.Empty);
        }

        return new LaunchSpec(Executables.Dotnet(), args, Path.GetDirectoryName(Project.Metadata.ProjectPath)!) { Environment = merged };
    }

    public override async Task<HealthResult> ProbeAsync(InstanceRuntime instance, RunContext context, CancellationToken cancellationToken)
    {
        if (!Project.Annotations.OfType<HttpHealthCheckAnnotation>().Any())
        {
            var http = Project.Annotations.OfType<EndpointAnnotation>().First(e => e.Transport == "http");
            using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            await socket.ConnectAsync(System.Net.IPAddress.Loopback, PortOf(instance, http.Name), cancellationToken).ConfigureAwait(false);
            return new HealthResult(true, "listening");
        }

        foreach (var check in Project.Annotations.OfType<HttpHealthCheckAnnotation>())
        {
            var endpoint = Project.Annotations.OfType<EndpointAnnotation>().First(e => e.Name == check.EndpointName);
            var url = $"{endpoint.Scheme}://127.0.0.1:{PortOf(instance, endpoint.Name).ToString(CultureInfo.InvariantCulture)}{check.Path}";
            using var response = await Http.GetAsync(url, cancellationToken).ConfigureAwait(false);
            if ((int)response.StatusCode != check.StatusCode)
            {
                return new HealthResult(false, $"GET {check.Path} answered {(int)response.StatusCode}");
            }
        }

        return HealthResult.Ok;
    }

    private static readonly HttpClient Http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromSeconds(30), UseProxy = false })
    {
        Timeout = TimeSpan.FromSeconds(5),
    };

    /// <summary>bin/&lt;configuration&gt;/&lt;tfm&gt;/&lt;assembly&gt;.dll beside the project file (what <c>dotnet build</c> writes).</summary>
    internal static string FindBuiltAssembly(string projectPath, string configuration)
    {
        if (!File.Exists(projectPath))
        {
            throw new DistributedApplicationException($"The project file {projectPath} does not exist.");
        }

        var dir = Path.GetDirectoryName(projectPath)!;
        var assemblyName = Path.GetFileNameWithoutExtension(projectPath);
        string? tfm = null;
        try
        {
            var xml = XDocument.Load(projectPath);
            assemblyName = xml.Descendants("AssemblyName").LastOrDefault()?.Value.Trim() is { Length: > 0 } a && !a.Contains('$', StringComparison.Ordinal) ? a : assemblyName;
            tfm = xml.Descendants("TargetFramework").LastOrDefault()?.Value.Trim();
        }
        catch (System.Xml.XmlException)
        {
        }

        var binDir = Path.Combine(dir, "bin", configuration);
        var candidates = new List<string>();
        if (!string.IsNullOrEmpty(tfm) && !tfm.Contains('$', StringComparison.Ordinal))
        {
            candidates.Add(Path.Combine(binDir, tfm, assemblyName + ".dll"));
        }

        if (Directory.Exists(binDir))
        {
            candidates.AddRange(Directory.GetDirectories(binDir).OrderByDescending(d => d, StringComparer.Ordinal).Select(d => Path.Combine(d, assemblyName + ".dll")));
        }

        return candidates.FirstOrDefault(File.Exists) ?? throw new DistributedApplicationException(
            $"{assemblyName}.dll was not found under {binDir}: build the project first (dotnet build -c {configuration} {projectPath}).");
    }
}

internal sealed class ExecutableRuntime(ExecutableResource executable) : ResourceRuntime(executable, 1)
{
    public override string Kind => "Executable";

    public override async Task<LaunchSpec> CreateLaunchSpecAsync(InstanceRuntime instance, RunContext context, CancellationToken cancellationToken)
    {
        var command = Executables.Find(executable.Command, debianPackage: executable.Command);
        var env = await EvaluateEnvironmentAsync(executable, context, cancellationToken).ConfigureAwait(false);
        var args = new List<string>();
        foreach (var a in executable.Annotations.OfType<CommandLineArgsAnnotation>().SelectMany(a => a.Args))
        {
            args.Add(await ResolveAsync(a, cancellationToken).ConfigureAwait(false) ?? string.Empty);
        }

        return new LaunchSpec(command, args, executable.WorkingDirectory) { Environment = env };
    }
}
