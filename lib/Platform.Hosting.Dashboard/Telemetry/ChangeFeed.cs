using System.Threading.Channels;

namespace Platform.Hosting.Dashboard.Telemetry;

/// <summary>A change the pages may want to show: telemetry arrived, a resource changed, a console line was written.</summary>
public sealed record DashboardEvent(string Kind, string? Resource, object? Data = null);

/// <summary>
/// Fans events out to every live-update subscriber. Each subscriber has its own bounded queue that drops its oldest
/// events when the browser reads too slowly, so a stuck tab never holds up ingestion.
/// </summary>
public sealed class ChangeFeed
{
    private readonly Lock _gate = new();
    private readonly List<Channel<DashboardEvent>> _subscribers = [];

    public void Publish(DashboardEvent change)
    {
        lock (_gate)
        {
            foreach (var subscriber in _subscribers)
            {
                subscriber.Writer.TryWrite(change);
            }
        }
    }

    public async IAsyncEnumerable<DashboardEvent> SubscribeAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<DashboardEvent>(new BoundedChannelOptions(1_000)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        lock (_gate)
        {
            _subscribers.Add(channel);
        }

        try
        {
            await foreach (var change in channel.Reader.ReadAllAsync(cancellationToken))
            {
                yield return change;
            }
        }
        finally
        {
            lock (_gate)
            {
                _subscribers.Remove(channel);
            }
        }
    }
}
