using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Platform.Hosting.ApplicationModel;

namespace Platform.Hosting.Orchestration;

/// <summary>
/// Run mode: starts every resource as local processes in dependency order, watches their health, and stops them in
/// reverse order. Children run in their own process groups, registered with a <see cref="Watchdog"/>.
/// </summary>
internal sealed partial class Orchestrator : IHostedService, IAsyncDisposable
{
    private readonly DistributedApplicationModel _model;
    private readonly ResourceNotificationService _notifications;
    private readonly ResourceLoggerService _logs;
    private readonly ILogger _logger;
    private readonly RunContext _context;
    private readonly Dictionary<IResource, ResourceRuntime> _runtimes = [];
    private readonly List<TcpProxy> _proxies = [];
    private readonly CancellationTokenSource _lifetime = new();
    private readonly List<Task> _startTasks = [];
    private readonly Lock _publishLock = new();
    private Watchdog? _watchdog;
    private volatile bool _stopping;
    private Task? _stopTask;

    public Orchestrator(
        DistributedApplicationModel model,
        DistributedApplicationOptions options,
        DistributedApplicationExecutionContext executionContext,
        ResourceNotificationService notifications,
        ResourceLoggerService logs,
        IConfiguration configuration,
        IHostEnvironment hostEnvironment,
        ILoggerFactory loggerFactory)
    {
        _model = model;
        _notifications = notifications;
        _logs = logs;
        _logger = loggerFactory.CreateLogger("Platform.Hosting");
        _context = new RunContext
        {
            Options = options,
            ExecutionContext = executionContext,
            StateDirectory = options.StateDirectory!,
            Configuration = configuration,
            HostEnvironment = hostEnvironment,
            Ports = new PortAllocator(),
        };
        _logs.Sink = options.LogSink;
        foreach (var resource in model.Resources)
        {
            _runtimes[resource] = CreateRuntime(resource);
        }
    }

    public string StateDirectory => _context.StateDirectory;

    internal IReadOnlyCollection<ResourceRuntime> Runtimes => _runtimes.Values;

    /// <summary>Completes when every resource has settled after start (healthy, finished or failed).</summary>
    public Task Settled { get; private set; } = Task.CompletedTask;

    private ResourceRuntime CreateRuntime(IResource resource) => resource switch
    {
        ParameterResource p => new ParameterRuntime(p),
        ProjectResource p => new ProjectRuntime(p),
        ExecutableResource e => new ExecutableRuntime(e),
        RedisResource r => new RedisRuntime(r),
        RedisSentinelResource s => new RedisSentinelRuntime(s),
        PostgresServerResource p => new PostgresRuntime(p),
        PostgresDatabaseResource d => new PostgresDatabaseRuntime(d, () => (PostgresRuntime)_runtimes[d.Parent]),
        _ => throw new DistributedApplicationException($"Resource '{resource.Name}' of type {resource.GetType().Name} cannot run in run mode."),
    };

    public Task StartAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_context.StateDirectory);
        // PostgreSQL runs as another user and must reach its data folder below this one.
        Files.SetMode(_context.StateDirectory, (UnixFileMode)0b111_101_101);
        _watchdog = new Watchdog();
        var secrets = new SecretStore(Path.Combine(_context.StateDirectory, "secrets.json"));
        var logDirectory = Path.Combine(_context.StateDirectory, "logs");
        foreach (var rt in _runtimes.Values)
        {
            foreach (var instance in rt.Instances)
            {
                instance.Log = _logs.Register(rt.Resource.Name, instance.Name, _context.Options.LogLinesPerInstance, Path.Combine(logDirectory, instance.Name + ".log"));
            }
        }

        foreach (var rt in _runtimes.Values.OfType<ParameterRuntime>())
        {
            var error = rt.Resolve(_context, secrets);
            SetInstance(rt.Instances[0], error is null ? ResourceState.Running : ResourceState.FailedToStart, error is null ? HealthStatus.Healthy : null);
            rt.Message = error;
        }

        foreach (var rt in _runtimes.Values)
        {
            try
            {
                AllocateEndpoints(rt);
            }
            catch (DistributedApplicationException ex)
            {
                rt.Message = ex.Message;
                foreach (var i in rt.Instances)
                {
                    i.Log.Write(ex.Message, isError: true, isSystem: true);
                    SetInstance(i, ResourceState.FailedToStart, null);
                }
            }
        }

        foreach (var rt in _runtimes.Values)
        {
            Publish(rt);
        }

        foreach (var rt in _runtimes.Values.Where(r => r is not ParameterRuntime && r.Instances[0].State == ResourceState.NotStarted))
        {
            _startTasks.Add(Task.Run(() => StartResourceAsync(rt, _lifetime.Token), CancellationToken.None));
        }

        Settled = WaitUntilSettledAsync(_lifetime.Token);
        if (_context.Options.PrintSummary)
        {
            _ = PrintSummaryWhenSettledAsync();
        }

        return Task.CompletedTask;
    }

    private void AllocateEndpoints(ResourceRuntime rt)
    {
        var replicated = rt.Resource is ProjectResource or ExecutableResource && rt.Instances.Count > 1;
        foreach (var endpoint in rt.Resource.Annotations.OfType<EndpointAnnotation>())
        {
            var fixedPort = _context.Options.RandomizePorts ? null : endpoint.Port;
            var instances = new List<AllocatedEndpoint>();
            foreach (var instance in rt.Instances)
            {
                var isFixed = fixedPort is not null && instance.Index == 0 && !replicated;
                var port = isFixed ? fixedPort!.Value : _context.Ports.Next();
                if (isFixed)
                {
                    _context.Ports.Reserve(port);
                }

                instance.Ports[endpoint.Name] = (port, isFixed);
                instances.Add(new AllocatedEndpoint(endpoint.Scheme, "127.0.0.1", port));
            }

            endpoint.InstanceEndpoints = instances;
            if (replicated)
            {
                var stablePort = fixedPort ?? _context.Ports.Next();
                var name = endpoint.Name;
                var proxy = new TcpProxy(stablePort, () => [.. rt.Instances.Where(i => i.State == ResourceState.Running).Select(i => i.Ports[name].Port)]);
                _proxies.Add(proxy);
                endpoint.AllocatedEndpoint = new AllocatedEndpoint(endpoint.Scheme, "127.0.0.1", proxy.Port);
            }
            else
            {
                endpoint.AllocatedEndpoint = instances[0];
            }
        }
    }

    private async Task StartResourceAsync(ResourceRuntime rt, CancellationToken cancellationToken)
    {
        try
        {
            var waits = WaitsOf(rt.Resource).ToList();
            if (waits.Count > 0)
            {
                foreach (var i in rt.Instances)
                {
                    SetInstance(i, ResourceState.Waiting, null);
                }

                foreach (var wait in waits)
                {
                    var failure = await WaitForDependencyAsync(wait, cancellationToken).ConfigureAwait(false);
                    if (failure is not null)
                    {
                        FailResource(rt, $"Dependency '{wait.Resource.Name}' {failure}");
                        return;
                    }
                }
            }

            try
            {
                await rt.PrepareAsync(_context, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is DistributedApplicationException or IOException or UnauthorizedAccessException)
            {
                FailResource(rt, ex.Message);
                return;
            }

            await Task.WhenAll(rt.Instances.Select(i => StartInstanceAsync(i, cancellationToken))).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // a bug in one resource's start must fail that resource, not the AppHost
        catch (Exception ex)
#pragma warning restore CA1031
        {
            FailResource(rt, $"Unexpected error while starting: {ex}");
        }
    }

    /// <summary>Waits (parent, WaitFor) expanded: waiting for a Redis with Sentinels means waiting for its Sentinels too.</summary>
    internal IEnumerable<WaitAnnotation> WaitsOf(IResource resource)
    {
        if (resource is IResourceWithParent child)
        {
            yield return new WaitAnnotation(child.Parent, WaitType.WaitUntilHealthy);
        }

        foreach (var parameter in resource.Annotations.OfType<ResourceRelationshipAnnotation>().Select(r => r.Resource).OfType<ParameterResource>())
        {
            yield return new WaitAnnotation(parameter, WaitType.WaitUntilHealthy);
        }

        foreach (var wait in resource.Annotations.OfType<WaitAnnotation>())
        {
            yield return wait;
            if (wait.Resource is RedisResource { Sentinel: { } sentinel } && sentinel != resource)
            {
                yield return new WaitAnnotation(sentinel, wait.WaitType, wait.ExitCode);
            }
        }
    }

    private async Task<string?> WaitForDependencyAsync(WaitAnnotation wait, CancellationToken cancellationToken)
    {
        var name = wait.Resource.Name;
        if (wait.WaitType == WaitType.WaitUntilHealthy)
        {
            var s = await _notifications.WaitForResourceAsync(name, s => s.IsHealthy || ResourceNotificationService.IsFailed(s), cancellationToken).ConfigureAwait(false);
            return s.IsHealthy ? null
                : s.State == ResourceState.FailedToStart ? $"failed to start{(s.Message is null ? "." : $": {s.Message}")}"
                : $"{(s.State == ResourceState.Finished ? "finished" : "exited")} with code {s.ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"} before it was healthy.";
        }

        var done = await _notifications.WaitForResourceAsync(name, s => s.State is ResourceState.Finished or ResourceState.Exited or ResourceState.FailedToStart, cancellationToken).ConfigureAwait(false);
        return done.State == ResourceState.FailedToStart ? $"failed to start{(done.Message is null ? "." : $": {done.Message}")}"
            : done.ExitCode == wait.ExitCode ? null
            : $"exited with code {done.ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"} (expected {wait.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture)}).";
    }

    private void FailResource(ResourceRuntime rt, string message)
    {
        rt.Message = message;
        foreach (var i in rt.Instances)
        {
            i.Log.Write(message, isError: true, isSystem: true);
            SetInstance(i, ResourceState.FailedToStart, null);
        }

        LogResourceFailed(rt.Resource.Name, message);
    }

    internal async Task StartInstanceAsync(InstanceRuntime instance, CancellationToken cancellationToken)
    {
        var rt = instance.Owner;
        await instance.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_stopping || instance.State is ResourceState.Running or ResourceState.Starting)
            {
                return;
            }

            instance.StopRequested = false;
            instance.ExitCode = null;
            instance.StoppedAt = null;
            SetInstance(instance, ResourceState.Starting, null);
            if (!rt.HasProcess)
            {
                await rt.RunInlineAsync(instance, _context, cancellationToken).ConfigureAwait(false);
                instance.StartedAt = DateTimeOffset.UtcNow;
                SetInstance(instance, ResourceState.Running, rt.HasHealthProbe ? HealthStatus.Unhealthy : HealthStatus.Healthy);
                StartHealthLoop(instance);
                return;
            }

            LaunchSpec spec;
            try
            {
                spec = await rt.CreateLaunchSpecAsync(instance, _context, cancellationToken).ConfigureAwait(false);
                foreach (var (endpoint, (port, isFixed)) in instance.Ports)
                {
                    if (isFixed && !PortAllocator.IsFree(port))
                    {
                        throw new DistributedApplicationException(
                            $"Port {port} (endpoint '{endpoint}' of '{rt.Resource.Name}') is already in use by another process; stop it or choose another port.");
                    }
                }
            }
            catch (DistributedApplicationException ex)
            {
                rt.Message = ex.Message;
                instance.Log.Write(ex.Message, isError: true, isSystem: true);
                SetInstance(instance, ResourceState.FailedToStart, null);
                LogResourceFailed(instance.Name, ex.Message);
                return;
            }

            Launch(instance, spec);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or IOException or System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            rt.Message = ex.Message;
            instance.Log.Write(ex.Message, isError: true, isSystem: true);
            SetInstance(instance, ResourceState.FailedToStart, null);
            LogResourceFailed(instance.Name, ex.Message);
        }
        finally
        {
            instance.Gate.Release();
        }
    }
}
