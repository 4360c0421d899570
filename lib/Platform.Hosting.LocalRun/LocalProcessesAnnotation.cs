using Aspire.Hosting.ApplicationModel;

namespace Platform.Hosting.LocalRun;

/// <summary>
/// In run mode, the local processes that carry a resource which DCP does not run itself (a PostgreSQL server that is a
/// container resource when published, a Redis Sentinel topology). <see cref="LocalProcessStatePublisher"/> derives the
/// resource's state from theirs, so that <c>WaitFor</c> and the dashboard see it start, run and stop.
/// </summary>
public sealed class LocalProcessesAnnotation(IReadOnlyList<ExecutableResource> processes) : IResourceAnnotation
{
    /// <summary>The processes, each an executable resource of its own (with the dashboard's stop, start and restart).</summary>
    public IReadOnlyList<ExecutableResource> Processes { get; } = processes;
}
