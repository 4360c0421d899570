namespace Prices.Ingest.Exchanges;

public enum FrameKind
{
    /// <summary>A price: <see cref="FrameResult.Price"/> is set.</summary>
    Price,

    /// <summary>Heartbeats, subscription acknowledgements and other frames that carry no price.</summary>
    Control,

    /// <summary>Not parseable as this exchange's format; logged and skipped.</summary>
    Malformed,

    /// <summary>The exchange asked us to reconnect, or reported an error that only a fresh connection fixes.</summary>
    Reconnect,
}

/// <summary>What one exchange frame meant. Prices are parsed from their decimal text, never through <see cref="double"/>.</summary>
public readonly record struct FrameResult(FrameKind Kind, decimal Price = 0, long? ExchangeTimeMs = null, string? Detail = null)
{
    public static FrameResult Control(string? detail = null) => new(FrameKind.Control, Detail: detail);

    public static FrameResult Malformed(string detail) => new(FrameKind.Malformed, Detail: detail);

    public static FrameResult Reconnect(string detail) => new(FrameKind.Reconnect, Detail: detail);

    public static FrameResult Of(decimal price, long? exchangeTimeMs) => new(FrameKind.Price, price, exchangeTimeMs);
}
