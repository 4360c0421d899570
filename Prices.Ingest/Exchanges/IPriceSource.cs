using System.Threading.Channels;

namespace Prices.Ingest.Exchanges;

/// <summary>A producer of <see cref="PriceTick"/>s. Runs until cancelled, reconnecting by itself when it has a connection.</summary>
public interface IPriceSource
{
    string Name { get; }

    Task RunAsync(ChannelWriter<PriceTick> ticks, CancellationToken cancellationToken);
}
