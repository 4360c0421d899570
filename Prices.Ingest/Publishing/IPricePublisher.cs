namespace Prices.Ingest.Publishing;

public enum PublishOutcome
{
    Published,

    /// <summary>This instance does not hold the writer lease (or lost it); nothing was written.</summary>
    NotLeaseholder,

    Failed,
}

/// <param name="PreviousTimestamp">The score of the newest history entry before this write (any writer's), when there was one.</param>
public readonly record struct PublishResult(PublishOutcome Outcome, long? PreviousTimestamp = null);

/// <summary>Writes one aggregated price: latest value, history entry and pub/sub message, in one round trip.</summary>
public interface IPricePublisher
{
    Task<PublishResult> PublishAsync(PriceMessage message, CancellationToken cancellationToken);
}

/// <summary>Whether this instance is the single writer right now.</summary>
public interface IWriterLease
{
    string Owner { get; }

    bool IsHeld { get; }

    /// <summary>Called when a write found another owner (or no lease) in Redis: stop publishing until reacquired.</summary>
    void MarkLost();
}
