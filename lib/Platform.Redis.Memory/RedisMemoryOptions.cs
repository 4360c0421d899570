using System.ComponentModel.DataAnnotations;

namespace Platform.Redis.Memory;

/// <summary>How a service watches the Redis master's memory (section "RedisMemory").</summary>
public sealed class RedisMemoryOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "RedisMemory";

    /// <summary>How often the master's <c>INFO memory</c> and <c>INFO stats</c> are read.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>For how long an eviction keeps the service Degraded: long enough to be seen on the dashboard.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan EvictionWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The share of <c>maxmemory</c> above which the service is Degraded before anything is evicted.</summary>
    [Range(0.5, 1.0)]
    public double HighWaterMark { get; set; } = 0.9;
}
