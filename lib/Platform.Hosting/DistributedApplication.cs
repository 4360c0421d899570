using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.Hosting.ApplicationModel;
using Platform.Hosting.Orchestration;

namespace Platform.Hosting;

/// <summary>The application the AppHost describes: runs it (run mode) or writes its deployment artifacts (publish mode).</summary>
public sealed class DistributedApplication : IHost, IAsyncDisposable
{
    private readonly IHost _host;
    private readonly DistributedApplicationOptions _options;
    private int _disposed;

    internal DistributedApplication(IHost host, DistributedApplicationOptions options)
    {
        _host = host;
        _options = options;
    }

    public static IDistributedApplicationBuilder CreateBuilder() => CreateBuilder([]);

    public static IDistributedApplicationBuilder CreateBuilder(string[] args) => CreateBuilder(new DistributedApplicationOptions { Args = args });

    public static IDistributedApplicationBuilder CreateBuilder(DistributedApplicationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (BuilderInterception.Current.Value is { Builder: null } interception)
        {
            var captured = new HostApplicationBuilderSettings();
            interception.Configure?.Invoke(options, captured);
            var builder = new DistributedApplicationBuilder(options, interception.AppHostAssembly, s =>
            {
                s.EnvironmentName = captured.EnvironmentName ?? s.EnvironmentName;
                if (captured.Configuration is not null)
                {
                    s.Configuration = captured.Configuration;
                }
            });
            interception.Builder = builder;
            return builder;
        }

        return new DistributedApplicationBuilder(options);
    }

    public IServiceProvider Services => _host.Services;

    public DistributedApplicationModel Model => Services.GetRequiredService<DistributedApplicationModel>();

    public DistributedApplicationExecutionContext ExecutionContext => Services.GetRequiredService<DistributedApplicationExecutionContext>();

    /// <summary>State of every resource; wait for states and health.</summary>
    public ResourceNotificationService ResourceNotifications => Services.GetRequiredService<ResourceNotificationService>();

    /// <summary>Output of every resource and instance.</summary>
    public ResourceLoggerService ResourceLogs => Services.GetRequiredService<ResourceLoggerService>();

    /// <summary>Start, stop, restart, kill, Sentinel failover.</summary>
    public ResourceCommandService ResourceCommands => Services.GetRequiredService<ResourceCommandService>();

    /// <summary>The folder that keeps data, logs and generated secrets.</summary>
    public string StateDirectory => _options.StateDirectory!;

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        EnsureRunMode();
        await _host.StartAsync(cancellationToken).ConfigureAwait(false);
        if (_options.WaitForResourcesOnStart is { } timeout)
        {
            await WaitForResourcesAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Waits until every resource is healthy (or finished). Throws a report naming each resource that is not, with its
    /// state and last lines of output, when one fails or the timeout passes.
    /// </summary>
    public async Task WaitForResourcesAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var orchestrator = Services.GetRequiredService<Orchestrator>();
        try
        {
            await orchestrator.Settled.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }

        var notOk = ResourceNotifications.GetSnapshots().Where(s => !s.IsHealthy && s.State != ResourceState.Finished).ToList();
        if (notOk.Count > 0)
        {
            var report = string.Join(Environment.NewLine, notOk.Select(s =>
                $"- {s.Name}: {ResourceNotificationService.Describe(s)}{(s.State == ResourceState.Running ? $" ({s.HealthStatus}{string.Concat(s.Instances.Select(i => i.HealthDescription is null ? string.Empty : $"; {i.Name}: {i.HealthDescription}"))})" : string.Empty)}"
                + string.Concat(ResourceLogs.GetLastLines(s.Name, 8).Select(l => $"{Environment.NewLine}    | {l}"))));
            throw new DistributedApplicationStartException(
                $"{notOk.Count} resource(s) did not become healthy within {timeout.TotalSeconds:0} s:{Environment.NewLine}{report}", notOk);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken = default) => _host.StopAsync(cancellationToken);

    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        if (ExecutionContext.IsPublishMode)
        {
            await PublishAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        await _host.RunAsync(cancellationToken).ConfigureAwait(false);
    }

    public void Run() => RunAsync().GetAwaiter().GetResult();

    private async Task PublishAsync(CancellationToken cancellationToken)
    {
        var name = ExecutionContext.PublisherName!;
        var publisher = Services.GetKeyedService<IDistributedApplicationPublisher>(name)
            ?? throw new DistributedApplicationException($"There is no publisher named '{name}'.");
        await publisher.PublishAsync(Model, ExecutionContext, cancellationToken).ConfigureAwait(false);
    }

    private void EnsureRunMode()
    {
        if (!ExecutionContext.IsRunMode)
        {
            throw new InvalidOperationException("StartAsync is for run mode; publish mode writes artifacts through RunAsync.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        if (ExecutionContext.IsRunMode && Services.GetService<Orchestrator>() is { } orchestrator)
        {
            await orchestrator.DisposeAsync().ConfigureAwait(false);
        }

        try
        {
            using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _host.StopAsync(bounded.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _host.Dispose();
        if (_options.DeleteStateOnDispose && Directory.Exists(StateDirectory))
        {
            try
            {
                Directory.Delete(StateDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}

/// <summary>Writes deployment artifacts from the model (<c>--publisher &lt;name&gt;</c>); registered as a keyed service.</summary>
public interface IDistributedApplicationPublisher
{
    Task PublishAsync(DistributedApplicationModel model, DistributedApplicationExecutionContext executionContext, CancellationToken cancellationToken);
}

public sealed class DistributedApplicationStartException(string message, IReadOnlyList<ResourceSnapshot> resources) : DistributedApplicationException(message)
{
    public IReadOnlyList<ResourceSnapshot> Resources { get; } = resources;
}
