namespace Prices.Ingest.Exchanges;

/// <summary>One price observation from one source, already converted to USD.</summary>
/// <param name="Source">Stable source name (e.g. <c>coinbase</c>, <c>sim-1</c>); the aggregator keeps the latest tick per name.</param>
/// <param name="Price">The USD price (for a USDT quote, converted with the declared rate).</param>
/// <param name="Quote">The quote currency the exchange priced in (<c>USD</c> or <c>USDT</c>).</param>
/// <param name="ExchangeTimeMs">The exchange's own timestamp (unix ms) when the message carries one, else the arrival time.</param>
/// <param name="ReceivedMs">Arrival time (unix ms, from the injected <see cref="TimeProvider"/>); staleness is measured from it,
/// so exchange clock skew never makes a fresh tick look stale.</param>
/// <param name="ArrivalTimestamp">High-resolution <see cref="TimeProvider.GetTimestamp"/> at arrival, for latency metrics.</param>
/// <param name="MaxAge">How long this source's price stays usable (each source has its own freshness).</param>
public readonly record struct PriceTick(
    string Source,
    decimal Price,
    string Quote,
    long ExchangeTimeMs,
    long ReceivedMs,
    long ArrivalTimestamp,
    TimeSpan MaxAge);
