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

/// <summary>
/// The Redis keys only Prices.Ingest uses. The keys and channel it shares with its consumers are
/// <see cref="Platform.Prices.Contracts.PriceKeys"/>.
/// </summary>
public static class IngestKeys
{
    /// <summary>string with a PX expiry: the instance id of the single writer.</summary>
    public const string WriterLease = "prices:btc:usd:writer";
}
