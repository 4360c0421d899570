using System.ComponentModel.DataAnnotations;

namespace Prices.Ingest.Publishing;

public sealed class PublishingOptions
{
    /// <summary>How long the single-writer lease lasts without renewal: the longest a dead writer blocks the others.</summary>
    [Range(typeof(TimeSpan), "00:00:00.300", "00:10:00")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>History entries older than this are trimmed from <c>prices:btc:usd:ts</c>.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "365.00:00:00")]
    public TimeSpan HistoryRetention { get; set; } = TimeSpan.FromDays(7);

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan TrimInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The most emitted prices kept until they are known to be in the history (for back-fill after an outage or a
    /// take-over): 2,400 is ten minutes at the default change throttle of four a second.
    /// </summary>
    [Range(1, 1_000_000)]
    public int BacklogCapacity { get; set; } = 2_400;

    /// <summary>This instance's name in the lease and in every message's <c>writer</c>; generated when empty.</summary>
    public string? InstanceId { get; set; }

    /// <summary>Renewal (and, for a standby, acquisition) attempts per lease period.</summary>
    internal TimeSpan RenewInterval => LeaseDuration / 3;
}

/// <summary>The Redis keys and channel Prices.Ingest writes (the design's key table).</summary>
public static class PriceKeys
{
    /// <summary>string, TTL 1 h: the latest aggregated price message.</summary>
    public const string Latest = "price:btc:usd";

    /// <summary>sorted set, score = unix ms, member = <c>&lt;price&gt;:&lt;writer&gt;:&lt;seq&gt;</c>; entries kept 7 days.</summary>
    public const string History = "prices:btc:usd:ts";

    /// <summary>pub/sub channel: every aggregated price message.</summary>
    public const string Channel = "prices:btc:usd";

    /// <summary>string with a PX expiry: the instance id of the single writer.</summary>
    public const string WriterLease = "prices:btc:usd:writer";

    public static readonly TimeSpan LatestTtl = TimeSpan.FromHours(1);
}
