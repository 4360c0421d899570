using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Platform.Hosting.ApplicationModel;

namespace Platform.Hosting.Orchestration;

internal sealed record LaunchSpec(string FileName, IReadOnlyList<string> Args, string WorkingDirectory, int StopSignal = Native.SIGTERM)
{
    public IReadOnlyList<EnvironmentVariableSnapshot> Environment { get; init; } = [];

    /// <summary>Run as this system user (runuser) when the AppHost is root.</summary>
    public string? RunAsUser { get; init; }

    public override string ToString() => string.Join(' ', Args.Prepend(FileName));
}

internal sealed record HealthResult(bool Healthy, string? Description = null, string? Role = null)
{
    public static readonly HealthResult Ok = new(true);
}

/// <summary>What every resource runtime needs from the application.</summary>
internal sealed class RunContext
{
    public required DistributedApplicationOptions Options { get; init; }

    public required DistributedApplicationExecutionContext ExecutionContext { get; init; }

    public required string StateDirectory { get; init; }

    public required IConfiguration Configuration { get; init; }

    public required IHostEnvironment HostEnvironment { get; init; }

    public required PortAllocator Ports { get; init; }

    public bool IsRoot { get; } = Native.IsRoot;

    public string ResourceDirectory(IResource resource, string kind)
    {
        var dir = Path.Combine(StateDirectory, kind, resource.Name);
        Directory.CreateDirectory(dir);
        return dir;
    }
}

/// <summary>One process (or one inline unit, such as a database) of a resource.</summary>
internal sealed class InstanceRuntime(ResourceRuntime owner, string name, int index)
{
    public ResourceRuntime Owner { get; } = owner;

    public string Name { get; } = name;

    public int Index { get; } = index;

    public SemaphoreSlim Gate { get; } = new(1, 1);

    public ResourceState State { get; set; } = ResourceState.NotStarted;

    public HealthStatus? Health { get; set; }

    public string? HealthDescription { get; set; }

    public string? Role { get; set; }

    public int? ExitCode { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? StoppedAt { get; set; }

    public Process? Process { get; set; }

    public int? ProcessId { get; set; }

    public LaunchSpec? Spec { get; set; }

    public bool StopRequested { get; set; }

    public TaskCompletionSource Exited { get; set; } = NewExited();

    public CancellationTokenSource? HealthCts { get; set; }

    public ResourceLoggerService.InstanceLog Log { get; set; } = null!;

    public IReadOnlyList<EnvironmentVariableSnapshot> Environment { get; set; } = [];

    /// <summary>Ports this instance listens on, by endpoint name; fixed ones are checked before launch.</summary>
    public Dictionary<string, (int Port, bool Fixed)> Ports { get; } = new(StringComparer.Ordinal);

    public static TaskCompletionSource NewExited() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

internal abstract class ResourceRuntime
{
    protected ResourceRuntime(IResource resource, int instances)
    {
        Resource = resource;
        Instances = [.. Enumerable.Range(0, instances).Select(i => new InstanceRuntime(this, instances == 1 && !AlwaysIndexInstances ? resource.Name : $"{resource.Name}-{i}", i))];
    }

    public IResource Resource { get; }

    public IReadOnlyList<InstanceRuntime> Instances { get; }

    public abstract string Kind { get; }

    /// <summary>Why the whole resource could not start (a failed dependency, a failed initdb).</summary>
    public string? Message { get; set; }

    /// <summary>Resources without a process (parameters, databases) run inline.</summary>
    public virtual bool HasProcess => true;

    public virtual bool HasHealthProbe => false;

    /// <summary>Multi-instance infrastructure keeps "-0" even with one instance so names never change.</summary>
    protected virtual bool AlwaysIndexInstances => false;

    public virtual string? ContainerImage => Resource.Annotations.OfType<ContainerImageAnnotation>().LastOrDefault()?.FullName;

    /// <summary>Runs once per application start, after dependencies are healthy (configs, initdb).</summary>
    public virtual Task PrepareAsync(RunContext context, CancellationToken cancellationToken) => Task.CompletedTask;

    public virtual Task<LaunchSpec> CreateLaunchSpecAsync(InstanceRuntime instance, RunContext context, CancellationToken cancellationToken) =>
        throw new NotSupportedException($"{Kind} has no process.");

    public virtual Task RunInlineAsync(InstanceRuntime instance, RunContext context, CancellationToken cancellationToken) => Task.CompletedTask;

    public virtual Task<HealthResult> ProbeAsync(InstanceRuntime instance, RunContext context, CancellationToken cancellationToken) =>
        Task.FromResult(HealthResult.Ok);

    protected int PortOf(InstanceRuntime instance, string endpointName) =>
        instance.Ports.TryGetValue(endpointName, out var p) ? p.Port
        : throw new InvalidOperationException($"Instance '{instance.Name}' has no endpoint '{endpointName}'.");

    /// <summary>Evaluates the environment annotations (WithEnvironment, WithReference) of the resource.</summary>
    protected static async Task<List<EnvironmentVariableSnapshot>> EvaluateEnvironmentAsync(IResource resource, RunContext context, CancellationToken cancellationToken)
    {
        var callbackContext = new EnvironmentCallbackContext(context.ExecutionContext, resource);
        foreach (var annotation in resource.Annotations.OfType<EnvironmentCallbackAnnotation>())
        {
            annotation.Callback(callbackContext);
        }

        var result = new List<EnvironmentVariableSnapshot>();
        foreach (var (name, value) in callbackContext.EnvironmentVariables)
        {
            result.Add(new EnvironmentVariableSnapshot(name, await ResolveAsync(value, cancellationToken).ConfigureAwait(false), IsSecret(value)));
        }

        return result;
    }

    internal static async Task<string?> ResolveAsync(object? value, CancellationToken cancellationToken) => value switch
    {
        null => null,
        string s => s,
        IValueProvider provider => await provider.GetValueAsync(cancellationToken).ConfigureAwait(false),
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    internal static bool IsSecret(object? value) => value switch
    {
        ParameterResource p => p.Secret,
        ReferenceExpression e => e.ContainsSecret,
        IResourceWithConnectionString => true,
        _ => false,
    };
}
