using System.Globalization;
using Microsoft.Extensions.Options;
using Platform.Prices.Contracts;
using StackExchange.Redis;

namespace Prices.Ingest.Publishing;

/// <summary>
/// Writes one price in one round trip with one script: SET latest EX 3600, ZADD history, PUBLISH, all fenced by the
/// writer lease. The fence is checked inside the same atomic script, so an instance that lost its lease (a pause, a
/// partition) can never write after the new leaseholder has started: two replicas never publish the same moment twice.
/// The same script back-fills the history from the <see cref="TickBacklog"/>: the kept prices newer than the history's
/// newest entry go in with their own timestamps, before this one and in the same atomic step, so a reader that sees
/// this price in the history also sees everything the outage had held back.
/// </summary>
public sealed partial class RedisPricePublisher(
    IConnectionMultiplexer redis,
    TickBacklog backlog,
    IOptions<PublishingOptions> options,
    PricesMetrics metrics,
    ILogger<RedisPricePublisher> logger) : IPricePublisher
{
    // KEYS: lease, latest, history. ARGV: owner, json, member, score, latest ttl (s), history ttl (ms), channel, floor
    // ("" or a score), then score/member pairs of kept prices, oldest first. Returns {1, previous newest score or "",
    // back-filled count} when written, {0} when the lease is not ours. Only kept prices newer than the newest entry (or
    // than the floor, when lower) are added: the ones before it are there already (a write whose reply was lost) or were
    // covered by another writer. A member names its writer and sequence number, so a price added twice is one entry.
    private const string PublishScript = """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {0} end
        local newest = redis.call('ZRANGE', KEYS[3], -1, -1, 'WITHSCORES')
        local floor = newest[2] and tonumber(newest[2])
        if ARGV[8] ~= '' and (floor == nil or tonumber(ARGV[8]) < floor) then floor = tonumber(ARGV[8]) end
        local added = 0
        for i = 9, #ARGV, 2 do
          if floor == nil or tonumber(ARGV[i]) > floor then
            redis.call('ZADD', KEYS[3], ARGV[i], ARGV[i + 1])
            added = added + 1
          end
        end
        redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[5])
        redis.call('ZADD', KEYS[3], ARGV[4], ARGV[3])
        redis.call('PEXPIRE', KEYS[3], ARGV[6])
        redis.call('PUBLISH', ARGV[7], ARGV[2])
        return {1, newest[2] or '', added}
        """;

    private readonly RedisKey[] _keys = [IngestKeys.WriterLease, PriceKeys.Latest, PriceKeys.History];
    private readonly long _historyTtlMs = (long)options.Value.HistoryRetention.TotalMilliseconds;
    private readonly long _latestTtlSeconds = (long)PriceKeys.LatestTtl.TotalSeconds;

    public async Task<PublishResult> PublishAsync(PriceMessage message, CancellationToken cancellationToken)
    {
        var (kept, floor) = backlog.Before(message.Seq);
        var args = new RedisValue[8 + kept.Count * 2];
        args[0] = message.Writer;
        args[1] = message.ToUtf8Json();
        args[2] = message.HistoryMember;
        args[3] = message.Timestamp;
        args[4] = _latestTtlSeconds;
        args[5] = _historyTtlMs;
        args[6] = PriceKeys.Channel;
        args[7] = floor is { } f ? f : RedisValue.EmptyString;
        for (var i = 0; i < kept.Count; i++)
        {
            args[8 + i * 2] = kept[i].Timestamp;
            args[9 + i * 2] = kept[i].HistoryMember;
        }

        try
        {
            var result = await redis.GetDatabase().ScriptEvaluateAsync(PublishScript, _keys, args).WaitAsync(cancellationToken);
            var parts = (RedisResult[])result!;
            if ((long)parts[0] == 0)
            {
                backlog.Failed();
                return new PublishResult(PublishOutcome.NotLeaseholder);
            }

            var previousText = (string?)parts[1];
            long? previous = string.IsNullOrEmpty(previousText) ? null : (long)double.Parse(previousText, CultureInfo.InvariantCulture);
            backlog.Written(message, previous);
            var backfilled = (int)(long)parts[2];
            if (backfilled > 0)
            {
                metrics.Backfilled(backfilled);
                LogBackfilled(logger, backfilled, kept[^backfilled].Timestamp, kept[^1].Timestamp);
            }

            return new PublishResult(PublishOutcome.Published, previous is { } p ? LongestGap(Math.Min(p, floor ?? p), kept, message.Timestamp) : null, backfilled);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            backlog.Failed();
            LogPublishFailed(logger, message.Seq, ex.Message);
            return new PublishResult(PublishOutcome.Failed);
        }
    }

    /// <summary>The longest stretch without an entry from the floor through what the script added to <paramref name="now"/>.</summary>
    private static long LongestGap(long floor, IReadOnlyList<PriceMessage> kept, long now)
    {
        long longest = 0;
        var last = floor;
        foreach (var tick in kept)
        {
            // The same rule as the script: only what is newer than the floor was added.
            if (tick.Timestamp > floor)
            {
                longest = Math.Max(longest, tick.Timestamp - last);
                last = tick.Timestamp;
            }
        }

        return Math.Max(longest, now - last);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Price {Seq} was not written: {Reason}")]
    private static partial void LogPublishFailed(ILogger logger, long seq, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Back-filled {Count} prices into the history, {From} to {To} (unix ms), with their own timestamps")]
    private static partial void LogBackfilled(ILogger logger, int count, long from, long to);
}
