namespace Platform.Hosting.ApplicationModel;

/// <summary>The states of Aspire's orchestrator.</summary>
public enum ResourceState
{
    NotStarted,
    Waiting,
    Starting,
    Running,
    RuntimeUnhealthy,
    FailedToStart,
    Stopping,
    Exited,
    Finished,
}

public enum HealthStatus
{
    Unhealthy,
    Degraded,
    Healthy,
}

public static class ResourceStateExtensions
{
    /// <summary>A state the resource stays in without intervention.</summary>
    public static bool IsTerminal(this ResourceState state) =>
        state is ResourceState.FailedToStart or ResourceState.Exited or ResourceState.Finished or ResourceState.RuntimeUnhealthy;
}
