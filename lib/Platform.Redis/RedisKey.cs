using System.Text;

namespace Platform.Redis;

/// <summary>A key: a string or raw bytes.</summary>
public readonly struct RedisKey : IEquatable<RedisKey>
{
    private readonly object? _value;

    private RedisKey(object? value) => _value = value;

    public bool IsNull => _value is null;

    public static implicit operator RedisKey(string? key) => new(key);

    public static implicit operator RedisKey(byte[]? key) => new(key);

    public static implicit operator string?(RedisKey key) => key._value switch
    {
        null => null,
        string s => s,
        byte[] b => Encoding.UTF8.GetString(b),
        _ => null,
    };

    public static implicit operator RedisValue(RedisKey key) => key._value switch
    {
        string s => s,
        byte[] b => b,
        _ => RedisValue.Null,
    };

    public static bool operator ==(RedisKey left, RedisKey right) => left.Equals(right);

    public static bool operator !=(RedisKey left, RedisKey right) => !left.Equals(right);

    public RedisKey Prepend(RedisKey prefix) => new((string?)prefix + (string?)this);

    public RedisKey Append(RedisKey suffix) => new((string?)this + (string?)suffix);

    public override string ToString() => (string?)this ?? "(null)";

    public bool Equals(RedisKey other) => ((RedisValue)this).Equals(other);

    public override bool Equals(object? obj) => obj is RedisKey k && Equals(k);

    public override int GetHashCode() => ((RedisValue)this).GetHashCode();
}
