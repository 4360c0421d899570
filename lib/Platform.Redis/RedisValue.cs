using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Platform.Redis;

/// <summary>A Redis value: null, a string, bytes, an integer or a double. Conversions are lazy so a reply read as
/// bytes is not decoded unless asked for.</summary>
public readonly struct RedisValue : IEquatable<RedisValue>
{
    private enum Kind : byte { Null, String, Bytes, Int64, Double }

    private readonly string? _string;
    private readonly ReadOnlyMemory<byte> _bytes;
    private readonly long _bits;
    private readonly Kind _kind;

    private RedisValue(Kind kind, string? s, ReadOnlyMemory<byte> bytes, long bits)
    {
        _kind = kind;
        _string = s;
        _bytes = bytes;
        _bits = bits;
    }

    public static RedisValue Null => default;

    public static RedisValue EmptyString { get; } = new(Kind.String, "", default, 0);

    public bool IsNull => _kind == Kind.Null;

    public bool HasValue => _kind != Kind.Null;

    public bool IsInteger => _kind == Kind.Int64;

    public bool IsNullOrEmpty => _kind switch
    {
        Kind.Null => true,
        Kind.String => _string!.Length == 0,
        Kind.Bytes => _bytes.IsEmpty,
        _ => false,
    };

    public static implicit operator RedisValue(string? value) => value is null ? Null : new(Kind.String, value, default, 0);

    public static implicit operator RedisValue(byte[]? value) => value is null ? Null : new(Kind.Bytes, null, value, 0);

    public static implicit operator RedisValue(ReadOnlyMemory<byte> value) => new(Kind.Bytes, null, value, 0);

    public static implicit operator RedisValue(long value) => new(Kind.Int64, null, default, value);

    public static implicit operator RedisValue(int value) => new(Kind.Int64, null, default, value);

    public static implicit operator RedisValue(bool value) => new(Kind.Int64, null, default, value ? 1 : 0);

    public static implicit operator RedisValue(double value) =>
        value == Math.Floor(value) && Math.Abs(value) < 1e15
            ? new(Kind.Int64, null, default, (long)value)
            : new(Kind.Double, null, default, BitConverter.DoubleToInt64Bits(value));

    public static explicit operator string?(RedisValue value) => value.IsNull ? null : value.ToString();

    public static explicit operator byte[]?(RedisValue value) => value._kind switch
    {
        Kind.Null => null,
        Kind.Bytes => value._bytes.ToArray(),
        _ => Encoding.UTF8.GetBytes(value.ToString()),
    };

    public static explicit operator ReadOnlyMemory<byte>(RedisValue value) => value._kind == Kind.Bytes ? value._bytes : (byte[]?)value;

    public static explicit operator long(RedisValue value) => value._kind switch
    {
        Kind.Int64 => value._bits,
        Kind.Double => checked((long)BitConverter.Int64BitsToDouble(value._bits)),
        Kind.Null => throw new InvalidCastException("cannot convert a null RedisValue to Int64"),
        _ => value.TryParseInt64(out var l) ? l : throw new InvalidCastException($"'{value}' is not an integer"),
    };

    public static explicit operator long?(RedisValue value) => value.IsNull ? null : (long)value;

    public static explicit operator int(RedisValue value) => checked((int)(long)value);

    public static explicit operator int?(RedisValue value) => value.IsNull ? null : (int)value;

    public static explicit operator bool(RedisValue value) => (long)value != 0;

    public static explicit operator double(RedisValue value) => value._kind switch
    {
        Kind.Int64 => value._bits,
        Kind.Double => BitConverter.Int64BitsToDouble(value._bits),
        Kind.Null => throw new InvalidCastException("cannot convert a null RedisValue to Double"),
        _ => ParseDouble(value.ToString()) ?? throw new InvalidCastException($"'{value}' is not a number"),
    };

    public static explicit operator double?(RedisValue value) => value.IsNull ? null : (double)value;

    public static bool operator ==(RedisValue left, RedisValue right) => left.Equals(right);

    public static bool operator !=(RedisValue left, RedisValue right) => !left.Equals(right);

    public bool TryParseInt64(out long value)
    {
        switch (_kind)
        {
            case Kind.Int64:
                value = _bits;
                return true;
            case Kind.Bytes:
                return Utf8Parser.TryParse(_bytes.Span, out value, out var used) && used == _bytes.Length && _bytes.Length > 0;
            case Kind.String:
                return long.TryParse(_string, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
            default:
                value = 0;
                return false;
        }
    }

    internal static double? ParseDouble(string s) => s switch
    {
        "inf" or "+inf" or "infinity" or "+infinity" => double.PositiveInfinity,
        "-inf" or "-infinity" => double.NegativeInfinity,
        "nan" => double.NaN,
        _ => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null,
    };

    /// <summary>Bytes of the value as written on the wire.</summary>
    internal int WriteTo(Span<byte> destination) => _kind switch
    {
        Kind.String => Encoding.UTF8.GetBytes(_string, destination),
        Kind.Bytes => CopyBytes(destination),
        Kind.Int64 => Utf8Formatter.TryFormat(_bits, destination, out var n) ? n : throw new InvalidOperationException(),
        Kind.Double => Encoding.UTF8.GetBytes(FormatDouble(BitConverter.Int64BitsToDouble(_bits)), destination),
        _ => 0,
    };

    internal int ByteCount => _kind switch
    {
        Kind.String => Encoding.UTF8.GetByteCount(_string!),
        Kind.Bytes => _bytes.Length,
        Kind.Int64 => CountDigits(_bits),
        Kind.Double => Encoding.UTF8.GetByteCount(FormatDouble(BitConverter.Int64BitsToDouble(_bits))),
        _ => 0,
    };

    private int CopyBytes(Span<byte> destination)
    {
        _bytes.Span.CopyTo(destination);
        return _bytes.Length;
    }

    internal static int CountDigits(long v)
    {
        if (v == long.MinValue)
        {
            return 20;
        }

        var n = v < 0 ? 2 : 1;
        var u = (ulong)Math.Abs(v);
        while (u >= 10)
        {
            u /= 10;
            n++;
        }

        return n;
    }

    internal static string FormatDouble(double d) => double.IsPositiveInfinity(d) ? "+inf"
        : double.IsNegativeInfinity(d) ? "-inf"
        : d.ToString("R", CultureInfo.InvariantCulture);

    public override string ToString() => _kind switch
    {
        Kind.Null => "",
        Kind.String => _string!,
        Kind.Bytes => Encoding.UTF8.GetString(_bytes.Span),
        Kind.Int64 => _bits.ToString(CultureInfo.InvariantCulture),
        _ => FormatDouble(BitConverter.Int64BitsToDouble(_bits)),
    };

    public bool Equals(RedisValue other)
    {
        if (IsNull || other.IsNull)
        {
            return IsNull == other.IsNull;
        }

        if (_kind == other._kind && _kind is Kind.Int64 or Kind.Double)
        {
            return _bits == other._bits;
        }

        if (_kind == Kind.String && other._kind == Kind.String)
        {
            return string.Equals(_string, other._string, StringComparison.Ordinal);
        }

        return ((ReadOnlySpan<byte>)(byte[])this!).SequenceEqual((byte[])other!);
    }

    public override bool Equals(object? obj) => obj is RedisValue v && Equals(v);

    public override int GetHashCode() => IsNull ? 0 : StringComparer.Ordinal.GetHashCode(ToString());
}
