using Microsoft.Extensions.Options;
using Platform.Prices.Contracts;
using StackExchange.Redis;

namespace Bets.Api.Prices;

/// <summary>
/// Keeps the latest aggregated price in memory from channel <c>prices:btc:usd</c>, resynchronising from the key
/// <c>price:btc:usd</c> after every (re)subscribe and once a second (pub/sub is at-most-once), and fans each new price
/// out to the WebSocket clients.
/// </summary>
public sealed partial class PriceFeed(
    IConnectionMultiplexer redis, PriceStreamHub hub, IOptions<PriceFeedOptions> options, TimeProvider time, ILogger<PriceFeed> logger) : BackgroundService
{
    public const string LatestKey = PriceKeys.Latest;
    public const string HistoryKey = PriceKeys.History;
    public static readonly RedisChannel Channel = RedisChannel.Literal(PriceKeys.Channel);

    private PriceSnapshot? _latest;
    private PriceSnapshot? _announcedStale;

    public PriceSnapshot? Latest => Volatile.Read(ref _latest);

    /// <summary>The latest price as of now, with its age and whether it is stale; null before the first price.</summary>
    public PriceReading? Current()
    {
        if (Latest is not { } snapshot)
        {
            return null;
        }

        var age = Math.Max(0, time.GetUtcNow().ToUnixTimeMilliseconds() - snapshot.Timestamp);
        return new PriceReading(snapshot, age, snapshot.IsStale(snapshot.Timestamp + age, options.Value.StaleAfterSeconds));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        redis.ConnectionRestored += OnConnectionRestored;
        try
        {
            await SubscribeWithRetryAsync(stoppingToken);
            while (!stoppingToken.IsCancellationRequested)
            {
                await ResyncAsync();
                AnnounceIfAged();
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            redis.ConnectionRestored -= OnConnectionRestored;
        }
    }

    private async Task SubscribeWithRetryAsync(CancellationToken ct)
    {
        while (true)
        {
            try
            {
                using var untraced = UntracedWork.Start("price-subscribe");
                await redis.GetSubscriber().SubscribeAsync(Channel, (_, value) => Accept(value.ToString(), fromChannel: true));
                return;
            }
            catch (Exception e) when (e is RedisException or RedisTimeoutException)
            {
                LogRedisUnavailable(logger, e.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(500), ct);
            }
        }
    }

    // Raised after StackExchange.Redis resubscribed on the new (or restored) subscription connection.
    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType == ConnectionType.Subscription)
        {
            _ = ResyncAsync();
        }
    }

    /// <summary>Reads the key; used at start, after a resubscribe and as a periodic safety net.</summary>
    public async Task ResyncAsync()
    {
        // Once a second and after every reconnect: not traced, or a root trace per GET would bury the requests of users.
        using var untraced = UntracedWork.Start("price-resync");
        try
        {
            var value = await redis.GetDatabase().StringGetAsync(LatestKey);
            if (value.HasValue)
            {
                Accept(value.ToString(), fromChannel: false);
            }
        }
        catch (Exception e) when (e is RedisException or RedisTimeoutException)
        {
            LogRedisUnavailable(logger, e.Message);
        }
    }

    /// <summary>
    /// A feed that falls silent sends nothing, so the stream would go on showing its last price as if it were live: once
    /// the latest price ages past the threshold, stream clients get it once more, marked stale with its age.
    /// </summary>
    private void AnnounceIfAged()
    {
        if (Current() is not { Stale: true } reading || reading.Snapshot == Volatile.Read(ref _announcedStale))
        {
            return;
        }

        Volatile.Write(ref _announcedStale, reading.Snapshot);
        // Published as "stale" already: the clients got it so.
        if (!string.Equals(reading.Snapshot.Status, "ok", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        LogFeedStale(logger, reading.AgeMs);
        hub.Publish(reading.Json);
    }

    private void Accept(string json, bool fromChannel)
    {
        if (!PriceFormat.TryParseSnapshot(json, out var snapshot))
        {
            LogMalformedPrice(logger, json.Length > 200 ? json[..200] : json);
            return;
        }
        while (true)
        {
            var current = Volatile.Read(ref _latest);
            // Never go back in time: a resync may read an older value than the channel just delivered.
            if (current is not null && snapshot!.Timestamp < current.Timestamp)
            {
                return;
            }

            if (current is not null && snapshot!.Timestamp == current.Timestamp && !fromChannel)
            {
                return;
            }

            if (Interlocked.CompareExchange(ref _latest, snapshot, current) == current)
            {
                break;
            }
        }
        hub.Publish(snapshot!.Json);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis unavailable for the price feed: {Reason}")]
    private static partial void LogRedisUnavailable(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The price feed is stale: the latest price is {AgeMs} ms old")]
    private static partial void LogFeedStale(ILogger logger, long ageMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignoring a malformed price message: {Json}")]
    private static partial void LogMalformedPrice(ILogger logger, string json);
}
