using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Lifecycle;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Platform.Hosting.LocalRun;

namespace Aspire.Hosting;

/// <summary>Wiring shared by the resources that run as local processes in run mode.</summary>
public static class LocalRunBuilderExtensions
{
    /// <summary>
    /// Declares that in run mode <paramref name="builder"/>'s resource is carried by <paramref name="processes"/>:
    /// its state follows theirs, and the dashboard shows them nested under it.
    /// </summary>
    public static IResourceBuilder<T> WithLocalProcesses<T>(this IResourceBuilder<T> builder, params IResourceBuilder<ExecutableResource>[] processes)
        where T : IResource
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.ApplicationBuilder.Services.TryAddEventingSubscriber<LocalProcessStatePublisher>();
        // Infrastructure run as local processes outlives the services that use it when the AppHost stops.
        builder.ApplicationBuilder.Services.TryAddEventingSubscriber<OrderedStop>();
        foreach (var process in processes)
        {
            process.WithParentRelationship(builder.Resource);
        }

        var existing = builder.Resource.Annotations.OfType<LocalProcessesAnnotation>().LastOrDefault();
        return builder.WithAnnotation(
            new LocalProcessesAnnotation([.. existing?.Processes ?? [], .. processes.Select(p => p.Resource)]),
            ResourceAnnotationMutationBehavior.Replace);
    }

    /// <summary>
    /// In run mode, when the AppHost stops, stops the services (project resources) first and then the local processes
    /// that <see cref="WithLocalProcesses"/> declared, each with its <see cref="StopSignalAnnotation"/> if it has one,
    /// and returns from the stop once each of them has reached an end state.
    /// </summary>
    public static IDistributedApplicationBuilder AddOrderedStop(this IDistributedApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddEventingSubscriber<OrderedStop>();
        return builder;
    }

    /// <summary>
    /// In run mode, tries a failing health check again every <paramref name="period"/> (default 200 ms) within one
    /// check, so that a resource is reported healthy within a period of becoming ready instead of at Aspire's next
    /// check, which comes 1 to 5 s later; the resources that wait for it start that much sooner. Until a check has
    /// first passed it keeps trying for up to <paramref name="startWindow"/> (default 10 s), each try cut off after
    /// 1 s (DCP's proxy holds a request to a project that does not listen yet; a new request gets through at once),
    /// afterwards for up to <paramref name="window"/> (default 2 s), so that a resource that fails later is reported
    /// unhealthy within it. Applies to every health check of the AppHost.
    /// </summary>
    public static IDistributedApplicationBuilder AddStartupProbes(this IDistributedApplicationBuilder builder,
        TimeSpan? period = null, TimeSpan? window = null, TimeSpan? startWindow = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder.ExecutionContext.IsRunMode)
        {
            StartupProbe.WrapAll(builder.Services, new ProbeOptions(period ?? TimeSpan.FromMilliseconds(200),
                window ?? TimeSpan.FromSeconds(2), startWindow ?? TimeSpan.FromSeconds(10), StartTimeout: TimeSpan.FromSeconds(1)));
        }

        return builder;
    }

    /// <summary>
    /// In run mode, starts every project with the runtime's tier-1 recompilation deferred by <paramref name="delay"/>
    /// (default 2 s, <c>DOTNET_TC_CallCountingDelayMs</c>) instead of 100 ms, so that projects starting together on a
    /// small machine do not spend their start recompiling methods for speed. Publish mode is untouched, and a project
    /// that sets the variable keeps its value.
    /// </summary>
    public static IDistributedApplicationBuilder AddDeferredTiering(this IDistributedApplicationBuilder builder, TimeSpan? delay = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton(new TieringDelay(delay ?? TimeSpan.FromSeconds(2)));
        builder.Services.TryAddEventingSubscriber<DeferredTiering>();
        return builder;
    }

    /// <summary>
    /// Removes what makes <paramref name="builder"/>'s resource a container to DCP, so that in run mode it is carried
    /// by local processes instead; its endpoints, parameters and connection string stay as they are.
    /// </summary>
    internal static void StopRunningAsContainer<T>(this IResourceBuilder<T> builder) where T : ContainerResource
    {
        foreach (var image in builder.Resource.Annotations.OfType<ContainerImageAnnotation>().ToList())
        {
            builder.Resource.Annotations.Remove(image);
        }
    }

    /// <summary>
    /// In run mode, starts the process again when it dies without being asked to stop (a crash, a kill), as Kubernetes
    /// does with a crashed container: at once the first time, then after <paramref name="backOff"/> (default 1 s)
    /// doubling with each further crash in a row up to <paramref name="maxDelay"/> (default 30 s); a minute of running
    /// resets the count. Each restart is logged on the process's console.
    /// </summary>
    public static IResourceBuilder<T> WithRestartOnCrash<T>(this IResourceBuilder<T> builder, TimeSpan? backOff = null, TimeSpan? maxDelay = null)
        where T : IResource
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.ApplicationBuilder.Services.TryAddEventingSubscriber<RestartOnCrashSupervisor>();
        builder.ApplicationBuilder.Services.TryAddSingleton<RestartOnCrashLifetime>();
        return builder.WithAnnotation(new RestartOnCrashAnnotation(backOff ?? TimeSpan.FromSeconds(1), maxDelay ?? TimeSpan.FromSeconds(30)),
            ResourceAnnotationMutationBehavior.Replace);
    }
}
