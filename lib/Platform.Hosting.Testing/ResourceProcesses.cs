using System.Diagnostics;
using System.Globalization;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Platform.Hosting.LocalRun;

namespace Aspire.Hosting.Testing;

/// <summary>One running instance of a resource (a replica): its id, its process and the address its own process serves.</summary>
/// <param name="Id">The instance's resource id (<c>sync-api-abcdefgh</c>; the resource's name when it has no replicas).</param>
/// <param name="ProcessId">The operating-system process.</param>
/// <param name="Url">The first of its <c>ASPNETCORE_URLS</c> (a project's own port, not the proxy in front of its replicas), or null.</param>
public sealed record ResourceInstance(string Id, int ProcessId, Uri? Url);

/// <summary>Faults on single processes: one replica killed, a process frozen (SIGSTOP) and thawed (SIGCONT).</summary>
public static class ResourceProcessExtensions
{
    /// <summary>The running instances of <paramref name="resourceName"/>, ordered by id so that an index names the same replica across restarts.</summary>
    public static IReadOnlyList<ResourceInstance> RunningInstances(this DistributedApplication app, string resourceName)
    {
        ArgumentNullException.ThrowIfNull(app);
        return [.. app.Services.GetRequiredService<ResourceLogCapture>().Instances(resourceName)
            .Where(e => e.Snapshot.State?.Text == KnownResourceStates.Running)
            .Select(e => (e.ResourceId, Pid: e.Snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value,
                Urls: e.Snapshot.EnvironmentVariables.FirstOrDefault(v => v.Name == "ASPNETCORE_URLS")?.Value))
            .Where(i => i.Pid is not null)
            .Select(i => new ResourceInstance(i.ResourceId, Convert.ToInt32(i.Pid, CultureInfo.InvariantCulture),
                i.Urls?.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(u => new Uri(u)).FirstOrDefault()))
            .OrderBy(i => i.Id, StringComparer.Ordinal)];
    }

    /// <summary>Kills one instance's process tree (SIGKILL), as a crash of that replica alone would.</summary>
    public static async Task KillInstanceAsync(this ResourceInstance instance, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(instance);
        using var process = Process.GetProcessById(instance.ProcessId);
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Freezes every process of <paramref name="resourceName"/> (SIGSTOP): it keeps its sockets and answers nothing, as a
    /// process stuck in a long GC pause, swapped out or on a paused VM. Returns the frozen process ids.
    /// </summary>
    public static async Task<IReadOnlyList<int>> FreezeResourceAsync(this DistributedApplication app, string resourceName, CancellationToken cancellationToken = default)
    {
        var pids = await app.ProcessIdsAsync(resourceName, cancellationToken).ConfigureAwait(false);
        foreach (var pid in pids)
        {
            await ProcessSignal.SendAsync(pid, "STOP", cancellationToken).ConfigureAwait(false);
        }

        return pids;
    }

    /// <summary>Thaws processes frozen by <see cref="FreezeResourceAsync"/> (SIGCONT).</summary>
    public static async Task ThawAsync(IEnumerable<int> processIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(processIds);
        foreach (var pid in processIds)
        {
            await ProcessSignal.SendAsync(pid, "CONT", cancellationToken).ConfigureAwait(false);
        }
    }
}
