using System.Globalization;

namespace Platform.Redis;

/// <summary>The reply types of RESP2 and RESP3.</summary>
public enum ResultType
{
    None,
    SimpleString,
    Error,
    Integer,
    BulkString,
    Array,
    Null,
    Double,
    Boolean,
    BigNumber,
    VerbatimString,
    Map,
    Set,
    Push,
}

/// <summary>An untyped reply, as returned by scripts and <c>ExecuteAsync</c>.</summary>
public sealed class RedisResult
{
    private readonly RedisValue _value;
    private readonly RedisResult[]? _items;

    internal RedisResult(ResultType type, RedisValue value, RedisResult[]? items = null)
    {
        Type = type;
        _value = value;
        _items = items;
    }

    public static RedisResult NullResult { get; } = new(ResultType.Null, RedisValue.Null);

    public ResultType Type { get; }

    public bool IsNull => Type == ResultType.Null || (Type is ResultType.BulkString && _value.IsNull);

    public int Length => _items?.Length ?? -1;

    public RedisResult this[int index] => (_items ?? throw new InvalidCastException($"a {Type} reply has no elements"))[index];

    public static RedisResult Create(RedisValue value) => new(ResultType.BulkString, value);

    public static RedisResult Create(RedisResult[] items) => new(ResultType.Array, RedisValue.Null, items);

    internal RedisValue Value => _value;

    public static explicit operator string?(RedisResult result) => result.IsNull ? null : result.AsValue().ToString();

    public static explicit operator long(RedisResult result) => (long)result.AsValue();

    public static explicit operator long?(RedisResult result) => result.IsNull ? null : (long)result.AsValue();

    public static explicit operator int(RedisResult result) => (int)result.AsValue();

    public static explicit operator double(RedisResult result) => (double)result.AsValue();

    public static explicit operator double?(RedisResult result) => result.IsNull ? null : (double)result.AsValue();

    public static explicit operator bool(RedisResult result) => (bool)result.AsValue();

    public static explicit operator byte[]?(RedisResult result) => (byte[]?)result.AsValue();

    public static explicit operator RedisValue(RedisResult result) => result.AsValue();

    public static explicit operator RedisResult[]?(RedisResult result) => result.IsNull ? null : result.AsArray();

    public static explicit operator RedisValue[]?(RedisResult result) =>
        result.IsNull ? null : Array.ConvertAll(result.AsArray(), r => r.AsValue());

    public static explicit operator string?[]?(RedisResult result) =>
        result.IsNull ? null : Array.ConvertAll(result.AsArray(), r => (string?)r);

    public RedisResult[] ToArray() => AsArray();

    private RedisResult[] AsArray() => _items ?? throw new InvalidCastException($"a {Type} reply is not an aggregate");

    private RedisValue AsValue() => _items is null
        ? _value
        : throw new InvalidCastException($"a {Type} reply of {_items.Length} elements is not a single value");

    public override string ToString() => _items is null
        ? _value.ToString()
        : string.Create(CultureInfo.InvariantCulture, $"{Type}[{_items.Length}]");
}
