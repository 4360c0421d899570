using Microsoft.Extensions.Options;
using Platform.Prices.Contracts;

namespace Prices.Ingest.Publishing;

/// <summary>What a write carries along for the history: kept prices, oldest first, and how far back the script may add them.</summary>
/// <param name="Floor">Add kept prices newer than this even if the history has newer entries (null: newer than the history's newest).</param>
public readonly record struct Backfill(IReadOnlyList<PriceMessage> Ticks, long? Floor);

/// <summary>
/// The prices this instance emitted recently, oldest first, and which of them it knows to be in the history. A write
/// carries the ones that may be missing and the script adds those newer than the history's newest entry, with their own
/// timestamps: a Redis outage, a failover or a lease hand-over to this instance leaves no hole in the history that bets
/// resolve from. Every instance keeps them, standbys too, because a standby that takes the lease over fills the hole its
/// dead predecessor left. Bounded by <see cref="PublishingOptions.BacklogCapacity"/>: beyond it the oldest are dropped.
/// </summary>
public sealed partial class TickBacklog(IOptions<PublishingOptions> options, IWriterLease lease, PricesMetrics metrics, ILogger<TickBacklog> logger)
{
    private readonly int _capacity = options.Value.BacklogCapacity;
    // A ring, oldest at _start: the usual write looks only at its newest few entries, from the end.
    private readonly PriceMessage[] _ring = new PriceMessage[options.Value.BacklogCapacity];
    private readonly Lock _lock = new();
    private int _start;
    private int _count;
    private long _writtenSeq;
    private long? _writtenTimestamp;
    private bool _sendAll = true;
    private long? _lostAfter;
    private long _droppedSinceWritten;

    public void Add(PriceMessage message)
    {
        lock (_lock)
        {
            if (_count == _capacity)
            {
                Drop(_ring[_start]);
                _start = (_start + 1) % _capacity;
                _count--;
            }

            _ring[(_start + _count) % _capacity] = message;
            _count++;
        }
    }

    /// <summary>What the write of <paramref name="seq"/> carries along.</summary>
    public Backfill Before(long seq)
    {
        lock (_lock)
        {
            if (_lostAfter is { } floor)
            {
                return new Backfill(Select(t => t.Seq < seq && t.Timestamp > floor), floor);
            }

            // After a failed write nothing is known: written or not, whatever the history lacks goes in.
            if (_sendAll)
            {
                return new Backfill(Select(t => t.Seq < seq), null);
            }

            // Usually nothing: the previous write took everything before it.
            var first = _count;
            while (first > 0 && At(first - 1).Seq > _writtenSeq)
            {
                first--;
            }

            var unwritten = new List<PriceMessage>(_count - first);
            for (var i = first; i < _count && At(i).Seq < seq; i++)
            {
                unwritten.Add(At(i));
            }

            return new Backfill(unwritten, null);
        }
    }

    private PriceMessage At(int index) => _ring[(_start + index) % _capacity];

    private List<PriceMessage> Select(Func<PriceMessage, bool> keep)
    {
        var selected = new List<PriceMessage>();
        for (var i = 0; i < _count; i++)
        {
            if (keep(At(i)))
            {
                selected.Add(At(i));
            }
        }

        return selected;
    }

    /// <summary>A write failed or was refused: the next one sends everything kept.</summary>
    public void Failed()
    {
        lock (_lock)
        {
            _sendAll = true;
        }
    }

    /// <summary>
    /// The write of <paramref name="message"/> succeeded; <paramref name="previousNewest"/> is the history's newest entry
    /// it found. When that is older than a price this instance wrote before, a failover lost writes the old master had
    /// taken but not yet replicated: the next write puts them back.
    /// </summary>
    public void Written(PriceMessage message, long? previousNewest)
    {
        long dropped;
        long? lostAfter;
        lock (_lock)
        {
            // The history holding nothing at all of what was written is the same loss, from the start.
            _lostAfter = _writtenTimestamp is { } last && (previousNewest ?? long.MinValue) < last ? previousNewest ?? 0 : null;
            _sendAll = false;
            _writtenSeq = message.Seq;
            _writtenTimestamp = message.Timestamp;
            dropped = _droppedSinceWritten;
            _droppedSinceWritten = 0;
            lostAfter = _lostAfter;
        }

        if (lostAfter is { } after)
        {
            LogLostWrites(logger, after);
        }

        if (dropped > 0)
        {
            LogDroppedDuringOutage(logger, dropped, _capacity);
        }
    }

    /// <summary>
    /// A standby drops its oldest prices all the time, as it should: they are only there for a take-over. A drop is lost
    /// history only for the writer that cannot reach Redis: it wrote before, this price it did not, and no other
    /// instance holds the lease.
    /// </summary>
    private void Drop(PriceMessage oldest)
    {
        if (_writtenSeq == 0 || oldest.Seq <= _writtenSeq || lease.HeldElsewhere)
        {
            return;
        }

        metrics.BacklogDropped();
        if (_droppedSinceWritten++ == 0)
        {
            LogBacklogFull(logger, _capacity);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis has taken none of the last {Capacity} prices: the oldest unwritten ones are dropped and the history will keep a gap")]
    private static partial void LogBacklogFull(ILogger logger, int capacity);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing again: {Dropped} prices made during the outage were dropped from the full backlog (capacity {Capacity}) and are missing from the history")]
    private static partial void LogDroppedDuringOutage(ILogger logger, long dropped, int capacity);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The price history lost entries this instance had written after {After} (unix ms): a failover dropped unreplicated writes; the next write puts them back")]
    private static partial void LogLostWrites(ILogger logger, long after);
}
