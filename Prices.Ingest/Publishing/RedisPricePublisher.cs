using System.Globalization;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Prices.Ingest.Publishing;

/// <summary>
/// Writes one price in one round trip with one script: SET latest EX 3600, ZADD history, PUBLISH, all fenced by the
/// writer lease. The fence is checked inside the same atomic script, so an instance that lost its lease (a pause, a
/// partition) can never write after the new leaseholder has started: two replicas never publish the same moment twice.
/// </summary>
public sealed partial class RedisPricePublisher(
    IConnectionMultiplexer redis,
    IOptions<PublishingOptions> options,
    ILogger<RedisPricePublisher> logger) : IPricePublisher
{
    // KEYS: lease, latest, history. ARGV: owner, json, member, score, latest ttl (s), history ttl (ms), channel.
    // Returns {1, previous newest score or ""} when written, {0} when the lease is not ours.
    private const string PublishScript = """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {0} end
        local newest = redis.call('ZRANGE', KEYS[3], -1, -1, 'WITHSCORES')
        redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[5])
        redis.call('ZADD', KEYS[3], ARGV[4], ARGV[3])
        redis.call('PEXPIRE', KEYS[3], ARGV[6])
        redis.call('PUBLISH', ARGV[7], ARGV[2])
        return {1, newest[2] or ''}
        """;

    private readonly RedisKey[] _keys = [PriceKeys.WriterLease, PriceKeys.Latest, PriceKeys.History];
    private readonly long _historyTtlMs = (long)options.Value.HistoryRetention.TotalMilliseconds;
    private readonly long _latestTtlSeconds = (long)PriceKeys.LatestTtl.TotalSeconds;

    public async Task<PublishResult> PublishAsync(PriceMessage message, CancellationToken cancellationToken)
    {
        try
        {
            var result = await redis.GetDatabase().ScriptEvaluateAsync(PublishScript, _keys,
            [
                message.Writer, message.ToUtf8Json(), message.HistoryMember, message.Timestamp,
                _latestTtlSeconds, _historyTtlMs, PriceKeys.Channel,
            ]).WaitAsync(cancellationToken).ConfigureAwait(false);
            var parts = (RedisResult[])result!;
            if ((long)parts[0] == 0)
            {
                return new PublishResult(PublishOutcome.NotLeaseholder);
            }

            var previous = (string?)parts[1];
            return new PublishResult(PublishOutcome.Published,
                string.IsNullOrEmpty(previous) ? null : (long)double.Parse(previous, CultureInfo.InvariantCulture));
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogPublishFailed(logger, message.Seq, ex.Message);
            return new PublishResult(PublishOutcome.Failed);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Price {Seq} was not written: {Reason}")]
    private static partial void LogPublishFailed(ILogger logger, long seq, string reason);
}
