namespace Platform.Redis;

/// <summary>A pub/sub channel name, literal or a glob pattern (PSUBSCRIBE).</summary>
public readonly struct RedisChannel : IEquatable<RedisChannel>
{
    private RedisChannel(string name, bool isPattern)
    {
        Name = name;
        IsPattern = isPattern;
    }

    public string Name { get; }

    public bool IsPattern { get; }

    public bool IsNull => Name is null;

    public static RedisChannel Literal(string name) => new(name ?? throw new ArgumentNullException(nameof(name)), false);

    public static RedisChannel Pattern(string pattern) => new(pattern ?? throw new ArgumentNullException(nameof(pattern)), true);

    public static implicit operator RedisChannel(string name) => Literal(name);

    public static implicit operator string(RedisChannel channel) => channel.Name;

    public static bool operator ==(RedisChannel left, RedisChannel right) => left.Equals(right);

    public static bool operator !=(RedisChannel left, RedisChannel right) => !left.Equals(right);

    public bool Equals(RedisChannel other) => IsPattern == other.IsPattern && string.Equals(Name, other.Name, StringComparison.Ordinal);

    public override bool Equals(object? obj) => obj is RedisChannel c && Equals(c);

    public override int GetHashCode() => HashCode.Combine(Name, IsPattern);

    public override string ToString() => Name;
}
