using System.Collections.Concurrent;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace Aspire.Hosting.Testing;

/// <summary>
/// Every resource's console output, as the dashboard shows it: written to the test's output (when the application
/// was built inside a test) and kept, the last lines of each resource, for the start helper's failure message.
/// </summary>
public sealed class ResourceLogCapture(ResourceNotificationService notifications, ResourceLoggerService logs) : BackgroundService
{
    private const int KeptLines = 200;
    private readonly ConcurrentDictionary<string, ConcurrentQueue<string>> _lines = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ResourceEvent> _instances = new(StringComparer.Ordinal);

    /// <summary>Where lines go besides memory; set from the test that builds the application.</summary>
    internal ITestOutputHelper? Output { get; set; }

    /// <summary>The last <paramref name="count"/> lines of <paramref name="resourceId"/> (a resource or one replica).</summary>
    public IReadOnlyList<string> LastLines(string resourceId, int count) =>
        _lines.TryGetValue(resourceId, out var lines) ? [.. lines.TakeLast(count)] : [];

    /// <summary>The latest state of each instance of <paramref name="resourceName"/> (one per replica).</summary>
    public IReadOnlyList<ResourceEvent> Instances(string resourceName) =>
        [.. _instances.Values.Where(e => e.Resource.Name == resourceName)];

    /// <summary>Follows every resource that appears, and its output.</summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var watched = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            await foreach (var change in notifications.WatchAsync(stoppingToken).ConfigureAwait(false))
            {
                _instances[change.ResourceId] = change;
                if (change.Resource is not ParameterResource && watched.Add(change.ResourceId))
                {
                    _ = ForwardAsync(change.ResourceId, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task ForwardAsync(string resourceId, CancellationToken cancellationToken)
    {
        var kept = _lines.GetOrAdd(resourceId, _ => new ConcurrentQueue<string>());
        try
        {
            await foreach (var batch in logs.WatchAsync(resourceId).WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                foreach (var line in batch)
                {
                    kept.Enqueue(line.Content);
                    while (kept.Count > KeptLines && kept.TryDequeue(out _))
                    {
                    }

                    try
                    {
                        Output?.WriteLine($"[{resourceId}] {line.Content}");
                    }
                    catch (InvalidOperationException)
                    {
                        // The test that built the application has finished; its output is closed.
                        Output = null;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    internal static void Register(IServiceCollection services)
    {
        services.AddSingleton<ResourceLogCapture>();
        // First of the hosted services: the orchestrator's start waits on resources, and their output matters then.
        services.Insert(0, ServiceDescriptor.Singleton<IHostedService>(sp => sp.GetRequiredService<ResourceLogCapture>()));
    }
}
