using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Prices.Ingest.Publishing;

/// <summary>
/// The single-writer lease: <c>SET prices:btc:usd:writer &lt;owner&gt; NX PX &lt;lease&gt;</c> to take it, a script that
/// extends it only while the value is still ours to keep it, and a script that deletes it only if ours on shutdown
/// (so a restart hands over at once). A standby retries every third of the lease, so when a writer dies another
/// instance takes over at most a lease plus a third after the writer's last renewal.
/// The holder believes it holds the lease only until a lease period after it last *sent* a successful renewal,
/// so it stops writing before Redis can hand the lease to someone else even if it cannot reach Redis.
/// </summary>
public sealed partial class WriterLease : BackgroundService, IWriterLease
{
    private const string RenewScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
        return 0
        """;

    private const string ReleaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """;

    private readonly IConnectionMultiplexer _redis;
    private readonly PublishingOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<WriterLease> _logger;
    private long _heldUntil;
    private bool _held;
    private bool _heldElsewhere;

    public WriterLease(IConnectionMultiplexer redis, IOptions<PublishingOptions> options, TimeProvider time, ILogger<WriterLease> logger)
    {
        _redis = redis;
        _options = options.Value;
        _time = time;
        _logger = logger;
        Owner = string.IsNullOrWhiteSpace(_options.InstanceId)
            ? $"{Environment.MachineName}-{Environment.ProcessId}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}"
            : _options.InstanceId;
    }

    public string Owner { get; }

    public bool IsHeld => Volatile.Read(ref _held) && _time.GetTimestamp() < Volatile.Read(ref _heldUntil);

    public bool HeldElsewhere => Volatile.Read(ref _heldElsewhere);

    public void MarkLost()
    {
        if (Volatile.Read(ref _held))
        {
            Volatile.Write(ref _held, false);
            LogLost(_logger, Owner);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.RenewInterval, _time);
        do
        {
            // Renewals are not traced: a root trace per renewal would bury the requests of users (see UntracedWork).
            using var untraced = UntracedWork.Start("writer-lease");
            await TryAcquireOrRenewAsync();
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One acquisition or renewal attempt; returns whether the lease is held afterwards.</summary>
    public async Task<bool> TryAcquireOrRenewAsync()
    {
        var sentAt = _time.GetTimestamp();
        var leaseMs = (long)_options.LeaseDuration.TotalMilliseconds;
        var db = _redis.GetDatabase();
        try
        {
            bool ours;
            if (Volatile.Read(ref _held))
            {
                ours = (long)await db.ScriptEvaluateAsync(RenewScript, [IngestKeys.WriterLease], [Owner, leaseMs]) == 1;
                if (!ours)
                {
                    MarkLost();
                    // Lost (for example the key vanished in a failover): try to take it straight back if it is free.
                    ours = await db.StringSetAsync(IngestKeys.WriterLease, Owner, _options.LeaseDuration, When.NotExists);
                }
            }
            else
            {
                ours = await db.StringSetAsync(IngestKeys.WriterLease, Owner, _options.LeaseDuration, When.NotExists);
            }

            Volatile.Write(ref _heldElsewhere, !ours);
            if (ours)
            {
                // Measured from when the command was sent, so our view of the lease always ends before Redis's does.
                Volatile.Write(ref _heldUntil, sentAt + (long)(_options.LeaseDuration.TotalSeconds * _time.TimestampFrequency));
                if (!Volatile.Read(ref _held))
                {
                    Volatile.Write(ref _held, true);
                    LogAcquired(_logger, Owner);
                }
            }

            return ours;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Keep the local deadline: writing stops by itself when it passes.
            LogRenewFailed(_logger, ex.Message);
            return IsHeld;
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (!Volatile.Read(ref _held))
        {
            return;
        }

        Volatile.Write(ref _held, false);
        try
        {
            await _redis.GetDatabase().ScriptEvaluateAsync(ReleaseScript, [IngestKeys.WriterLease], [Owner])
                .WaitAsync(TimeSpan.FromSeconds(2), cancellationToken);
            LogReleased(_logger, Owner);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or OperationCanceledException)
        {
            LogRenewFailed(_logger, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Owner} acquired the writer lease and publishes prices")]
    private static partial void LogAcquired(ILogger logger, string owner);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Owner} lost the writer lease")]
    private static partial void LogLost(ILogger logger, string owner);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Owner} released the writer lease")]
    private static partial void LogReleased(ILogger logger, string owner);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writer lease renewal failed: {Reason}")]
    private static partial void LogRenewFailed(ILogger logger, string reason);
}
