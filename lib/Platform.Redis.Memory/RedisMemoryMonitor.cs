using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Platform.Redis.Memory;

/// <summary>One reading of the master's memory: <c>used_memory</c>, <c>maxmemory</c> (0: no limit), its policy, and <c>evicted_keys</c> since the server started.</summary>
public sealed record RedisMemorySample(long UsedBytes, long MaxBytes, string Policy, long EvictedKeys);

/// <summary>
/// Reads the Redis master's <c>INFO memory</c> and <c>INFO stats</c> every <see cref="RedisMemoryOptions.PollInterval"/>
/// and publishes them on the application's meter (the one ServiceDefaults exports), named as the OpenTelemetry
/// Collector's Redis receiver names them: <c>redis.memory.used</c>, <c>redis.maxmemory</c> and <c>redis.keys.evicted</c>.
/// It also remembers when keys were evicted, for <see cref="RedisMemoryHealthCheck"/>: under <c>allkeys-lru</c> a full
/// Redis drops sessions, rate limits and cached state without a word to its clients, and this is the word.
/// </summary>
public sealed partial class RedisMemoryMonitor : BackgroundService
{
    // INFO is an admin command to StackExchange.Redis, and the services' connections are rightly not admin ones; a
    // script may call it. no-writes: it runs under min-replicas-to-write and on a master short of replicas as well.
    private const string InfoScript = """
        #!lua flags=no-writes
        return redis.call('INFO', 'memory', 'stats')
        """;

    private readonly IConnectionMultiplexer _redis;
    private readonly RedisMemoryOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<RedisMemoryMonitor> _logger;
    private readonly Lock _gate = new();
    private readonly Queue<(long At, long Count)> _evictions = new();
    private RedisMemorySample? _last;
    private bool _evicting;

    /// <summary>Creates the instruments on the meter named after the application.</summary>
    public RedisMemoryMonitor(
        IConnectionMultiplexer redis, IOptions<RedisMemoryOptions> options, IMeterFactory meters, IHostEnvironment environment,
        TimeProvider time, ILogger<RedisMemoryMonitor> logger)
    {
        _redis = redis;
        _options = options.Value;
        _time = time;
        _logger = logger;
        var meter = meters.Create(environment.ApplicationName);
        meter.CreateObservableGauge("redis.memory.used", () => Observe(s => s.UsedBytes), "By",
            "Memory the Redis master uses (used_memory).");
        meter.CreateObservableGauge("redis.maxmemory", () => Observe(s => s.MaxBytes), "By",
            "The Redis master's maxmemory; 0 when it has no limit.");
        // Cumulative as the master counts it: a failover or restart starts it again from the new master's count.
        meter.CreateObservableCounter("redis.keys.evicted", () => Observe(s => s.EvictedKeys), "{key}",
            "Keys the Redis master evicted to stay under maxmemory (evicted_keys).");
    }

    /// <summary>The latest reading; null until the master has answered once.</summary>
    public RedisMemorySample? Last
    {
        get
        {
            lock (_gate)
            {
                return _last;
            }
        }
    }

    /// <summary>Keys evicted within <see cref="RedisMemoryOptions.EvictionWindow"/>, as seen by this service's readings.</summary>
    public long EvictedRecently
    {
        get
        {
            lock (_gate)
            {
                Prune();
                return _evictions.Sum(e => e.Count);
            }
        }
    }

    /// <summary>The options in force (for the health check's wording).</summary>
    public RedisMemoryOptions Options => _options;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.PollInterval, _time);
        try
        {
            do
            {
                // Every few seconds for the life of the service: untraced, or each INFO becomes a trace of its own.
                using var untraced = Microsoft.Extensions.Hosting.UntracedWork.Start("redis-memory-poll");
                await PollAsync(stoppingToken).ConfigureAwait(false);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Reads the master once (the loop does this; tests may call it to avoid waiting for a tick).</summary>
    public async Task PollAsync(CancellationToken ct)
    {
        string info;
        try
        {
            var reply = await _redis.GetDatabase().ScriptEvaluateAsync(InfoScript, flags: CommandFlags.DemandMaster)
                .WaitAsync(TimeSpan.FromSeconds(5), _time, ct).ConfigureAwait(false);
            info = reply.ToString();
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            // Redis out of reach is the outage breaker's and the Redis health check's to report; keep the last reading.
            LogPollFailed(_logger, e.Message);
            return;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Anything else (a refused command, say) must not stop the host: say so, and read again on the next tick.
            LogPollRefused(_logger, e);
            return;
        }

        if (Parse(info) is { } sample)
        {
            Record(sample);
        }
    }

    /// <summary>Reads the fields this monitor needs from an INFO reply; null when one is missing.</summary>
    public static RedisMemorySample? Parse(string info)
    {
        long? used = null, max = null, evicted = null;
        var policy = "";
        foreach (var line in info.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || line[0] == '#')
            {
                continue;
            }

            var value = line[(colon + 1)..];
            switch (line[..colon])
            {
                case "used_memory": used = ParseLong(value); break;
                case "maxmemory": max = ParseLong(value); break;
                case "maxmemory_policy": policy = value; break;
                case "evicted_keys": evicted = ParseLong(value); break;
            }
        }

        return used is { } u && max is { } m && evicted is { } ev ? new RedisMemorySample(u, m, policy, ev) : null;

        static long? ParseLong(string s) => long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;
    }

    private void Record(RedisMemorySample sample)
    {
        long evictedNow;
        bool started, ended;
        lock (_gate)
        {
            // A smaller count than before is another server (failover) or a restart: its count starts over.
            var previous = _last?.EvictedKeys ?? sample.EvictedKeys;
            var added = sample.EvictedKeys >= previous ? sample.EvictedKeys - previous : 0;
            if (added > 0)
            {
                _evictions.Enqueue((_time.GetTimestamp(), added));
            }

            _last = sample;
            Prune();
            evictedNow = _evictions.Sum(e => e.Count);
            started = evictedNow > 0 && !_evicting;
            ended = evictedNow == 0 && _evicting;
            _evicting = evictedNow > 0;
        }

        // Once when evictions start and once when the window passes without any: not once per reading.
        if (started)
        {
            LogEvicting(_logger, evictedNow, sample.Policy, sample.UsedBytes, sample.MaxBytes);
        }
        else if (ended)
        {
            LogEvictionsEnded(_logger, _options.EvictionWindow.TotalSeconds, sample.UsedBytes, sample.MaxBytes);
        }
    }

    private void Prune()
    {
        while (_evictions.TryPeek(out var e) && _time.GetElapsedTime(e.At) > _options.EvictionWindow)
        {
            _evictions.Dequeue();
        }
    }

    private IEnumerable<Measurement<long>> Observe(Func<RedisMemorySample, long> value) =>
        Last is { } s ? [new Measurement<long>(value(s))] : [];

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis evicted {Count} keys (policy {Policy}, {Used} of {Max} bytes used): sessions and cached state this service needs may be gone; health is Degraded")]
    private static partial void LogEvicting(ILogger logger, long count, string policy, long used, long max);

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis evicted no keys for {Seconds} s ({Used} of {Max} bytes used)")]
    private static partial void LogEvictionsEnded(ILogger logger, double seconds, long used, long max);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading Redis memory (INFO memory stats) was refused; the metrics and the redis-memory health check keep the last reading")]
    private static partial void LogPollRefused(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Reading Redis memory failed: {Reason}")]
    private static partial void LogPollFailed(ILogger logger, string reason);
}
