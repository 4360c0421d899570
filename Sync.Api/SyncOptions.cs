using System.ComponentModel.DataAnnotations;

namespace Sync.Api;

/// <summary>Configuration section <c>Sync</c>. Tests shorten the timings; production keeps the defaults.</summary>
public sealed class SyncOptions
{
    public const string Section = "Sync";

    /// <summary>Base64 HMAC key for session tokens; when empty, one key is generated once and kept in PostgreSQL so
    /// that every replica signs and verifies with the same key.</summary>
    public string? SigningKey { get; set; }

    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromDays(7);

    public TimeSpan SessionCacheTtl { get; set; } = TimeSpan.FromHours(1);

    /// <summary>A connection that sends no heartbeat for this long leaves room presence (and voice).</summary>
    public TimeSpan PresenceExpiry { get; set; } = TimeSpan.FromSeconds(14);

    /// <summary>How often every instance sweeps expired presence, voice heartbeats and buffering deadlines.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan VoiceRecordTtl { get; set; } = TimeSpan.FromHours(24);

    public TimeSpan VoiceHeartbeatExpiry { get; set; } = TimeSpan.FromSeconds(14);

    [Range(2, 32)]
    public int VoiceCap { get; set; } = 8;

    /// <summary>The longest a seek or a mid-playback stall may hold the room.</summary>
    public TimeSpan RebufferWait { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The longest a media change (first load) may hold the room.</summary>
    public TimeSpan FirstLoadWait { get; set; } = TimeSpan.FromSeconds(30);

    [Range(0, 10_000)]
    public int ReadyToleranceMs { get; set; } = 500;

    /// <summary>Play starts this long after the command at least, and at most <see cref="MaxLeadMs"/>; in between
    /// it is half the slowest member's round trip plus <see cref="LeadMarginMs"/>.</summary>
    [Range(0, 10_000)]
    public int MinLeadMs { get; set; } = 150;

    [Range(0, 10_000)]
    public int MaxLeadMs { get; set; } = 1500;

    [Range(0, 10_000)]
    public int LeadMarginMs { get; set; } = 100;

    [Range(1, 100_000)]
    public int MaxChatLength { get; set; } = 1000;

    [Range(1, 1_000_000)]
    public int MaxSignalPayload { get; set; } = 16 * 1024;

    /// <summary>Replicas that must acknowledge a timeline change (Redis WAIT) before it is broadcast, so a Sentinel
    /// failover cannot roll back a state clients already applied. 0 disables.</summary>
    [Range(0, 8)]
    public int TimelineReplicaAcks { get; set; } = 1;

    public TimeSpan TimelineReplicaAckTimeout { get; set; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan TimelinePersistInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>An instance forgets what it keeps of a room (its last timeline, its command gate) once the room has
    /// seen no command here for this long; Redis still holds the timeline.</summary>
    public TimeSpan RoomStateIdleAfter { get; set; } = TimeSpan.FromMinutes(5);

    public Dictionary<string, RateLimit> RateLimits { get; set; } = new(StringComparer.Ordinal)
    {
        ["control"] = new(20, 10),
        ["ready"] = new(20, 10),
        ["queue"] = new(10, 2),
        ["chat"] = new(10, 2),
        ["reaction"] = new(20, 5),
        ["signal"] = new(200, 100),
        ["join"] = new(10, 1),
    };

    /// <summary>Guest sessions minted per client address (<see cref="Identity.ClientAddress"/>), shared by all instances.</summary>
    public RateLimit SessionsPerAddress { get; set; } = new(10, 0.1);

    /// <summary>Room password checks per client address: a guesser gets a handful, then one every 10 s.</summary>
    public RateLimit PasswordAttemptsPerAddress { get; set; } = new(5, 0.1);

    /// <summary>Room password checks per room from all addresses together, so guessing spread over many addresses
    /// still crawls. The price: while a room is under attack, its honest joiners wait too.</summary>
    public RateLimit PasswordAttemptsPerRoom { get; set; } = new(10, 0.2);

    /// <summary>PBKDF2 (100,000 rounds, tens of ms of CPU) runs on at most this many threads at once per instance, so
    /// password checks cannot take the thread pool from playback.</summary>
    [Range(1, 64)]
    public int PasswordHashConcurrency { get; set; } = Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>Password checks that may wait for a hashing thread; more are refused (503, retry) instead of queued.</summary>
    [Range(0, 1000)]
    public int PasswordHashQueue { get; set; } = 16;

    /// <summary>Networks (CIDR) whose <c>X-Forwarded-For</c> names the client; empty = loopback only. See
    /// <see cref="Identity.ClientAddress"/>.</summary>
    public List<string> TrustedProxies { get; set; } = [];
}

public sealed record RateLimit(double Burst, double PerSecond)
{
    public RateLimit() : this(10, 1) { }
}
