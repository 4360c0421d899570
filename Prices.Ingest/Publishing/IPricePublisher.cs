using Platform.Prices.Contracts;

namespace Prices.Ingest.Publishing;

public enum PublishOutcome
{
    Published,

    /// <summary>This instance does not hold the writer lease (or lost it); nothing was written.</summary>
    NotLeaseholder,

    Failed,
}

/// <param name="GapMs">The longest hole this write left in the history, from the newest entry before it (any writer's)
/// through the back-filled prices to this one; null when the history was empty.</param>
/// <param name="Backfilled">Older prices this write added to the history with their own timestamps.</param>
public readonly record struct PublishResult(PublishOutcome Outcome, long? GapMs = null, int Backfilled = 0);

/// <summary>
/// Writes one aggregated price: latest value, history entry and pub/sub message, in one round trip, together with the
/// kept prices the history lacks (history only: they are not published as live).
/// </summary>
public interface IPricePublisher
{
    Task<PublishResult> PublishAsync(PriceMessage message, CancellationToken cancellationToken);
}

/// <summary>Whether this instance is the single writer right now.</summary>
public interface IWriterLease
{
    string Owner { get; }

    bool IsHeld { get; }

    /// <summary>The last attempt to take the lease found another instance holding it.</summary>
    bool HeldElsewhere { get; }

    /// <summary>Called when a write found another owner (or no lease) in Redis: stop publishing until reacquired.</summary>
    void MarkLost();
}
