using System.Buffers.Binary;
using System.Text;

namespace Platform.Hosting.Dashboard.Otlp;

/// <summary>A payload that is not a well-formed OTLP protobuf message.</summary>
public sealed class OtlpFormatException(string message) : Exception(message);

/// <summary>
/// A forward-only protobuf wire-format reader over a span (the protobuf encoding spec: varints, fixed 32/64-bit and
/// length-delimited fields). Nested messages are read by slicing, so decoding allocates only what it keeps.
/// Every malformed input (truncated varint, length past the end, unknown wire type, invalid UTF-8) throws
/// <see cref="OtlpFormatException"/>.
/// </summary>
internal ref struct ProtoReader(ReadOnlySpan<byte> buffer)
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private readonly ReadOnlySpan<byte> _buffer = buffer;
    private int _position;
    private int _wireType;

    public readonly bool IsAtEnd => _position >= _buffer.Length;

    /// <summary>Reads the next tag; returns the field number (0 at the end of the message).</summary>
    public int ReadTag()
    {
        if (IsAtEnd)
        {
            return 0;
        }

        var tag = ReadVarint();
        _wireType = (int)(tag & 7);
        var field = tag >> 3;
        if (field == 0 || field > int.MaxValue)
        {
            throw new OtlpFormatException($"Invalid field number {field}.");
        }

        return (int)field;
    }

    public readonly int WireType => _wireType;

    public ulong ReadVarint()
    {
        ulong result = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            if (_position >= _buffer.Length)
            {
                throw new OtlpFormatException("Truncated varint.");
            }

            var b = _buffer[_position++];
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return result;
            }
        }

        throw new OtlpFormatException("Varint longer than 10 bytes.");
    }

    public ulong ReadFixed64()
    {
        Expect(1);
        var value = BinaryPrimitives.ReadUInt64LittleEndian(Take(8));
        return value;
    }

    public uint ReadFixed32()
    {
        Expect(5);
        return BinaryPrimitives.ReadUInt32LittleEndian(Take(4));
    }

    public double ReadDouble() => BitConverter.Int64BitsToDouble((long)ReadFixed64());

    public long ReadInt64()
    {
        Expect(0);
        return (long)ReadVarint();
    }

    public int ReadInt32()
    {
        Expect(0);
        return unchecked((int)ReadVarint());
    }

    public uint ReadUInt32()
    {
        Expect(0);
        return unchecked((uint)ReadVarint());
    }

    public int ReadSInt32()
    {
        Expect(0);
        var n = (uint)ReadVarint();
        return (int)(n >> 1) ^ -(int)(n & 1);
    }

    public bool ReadBool()
    {
        Expect(0);
        return ReadVarint() != 0;
    }

    public ReadOnlySpan<byte> ReadBytes()
    {
        Expect(2);
        var length = ReadVarint();
        if (length > (ulong)(_buffer.Length - _position))
        {
            throw new OtlpFormatException("Length-delimited field runs past the end of the message.");
        }

        return Take((int)length);
    }

    public string ReadString()
    {
        var bytes = ReadBytes();
        try
        {
            return bytes.IsEmpty ? "" : StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new OtlpFormatException("String field is not valid UTF-8.");
        }
    }

    public ProtoReader ReadMessage() => new(ReadBytes());

    /// <summary>Reads a repeated scalar field that may be packed (wire type 2) or not (one value per tag).</summary>
    public void ReadPackedFixed64(List<ulong> into)
    {
        if (_wireType == 1)
        {
            into.Add(ReadFixed64());
            return;
        }

        var bytes = ReadBytes();
        if (bytes.Length % 8 != 0)
        {
            throw new OtlpFormatException("Packed fixed64 field has a length that is not a multiple of 8.");
        }

        for (var i = 0; i < bytes.Length; i += 8)
        {
            into.Add(BinaryPrimitives.ReadUInt64LittleEndian(bytes.Slice(i, 8)));
        }
    }

    public void ReadPackedDouble(List<double> into)
    {
        if (_wireType == 1)
        {
            into.Add(ReadDouble());
            return;
        }

        var bytes = ReadBytes();
        if (bytes.Length % 8 != 0)
        {
            throw new OtlpFormatException("Packed double field has a length that is not a multiple of 8.");
        }

        for (var i = 0; i < bytes.Length; i += 8)
        {
            into.Add(BitConverter.Int64BitsToDouble(BinaryPrimitives.ReadInt64LittleEndian(bytes.Slice(i, 8))));
        }
    }

    public void ReadPackedVarint(List<ulong> into)
    {
        if (_wireType == 0)
        {
            into.Add(ReadVarint());
            return;
        }

        var inner = new ProtoReader(ReadBytes());
        while (!inner.IsAtEnd)
        {
            into.Add(inner.ReadVarint());
        }
    }

    /// <summary>Skips a field this decoder does not keep (unknown fields must be ignored by receivers).</summary>
    public void Skip()
    {
        switch (_wireType)
        {
            case 0: ReadVarint(); break;
            case 1: Take(8); break;
            case 2: ReadBytes(); break;
            case 5: Take(4); break;
            default: throw new OtlpFormatException($"Unsupported wire type {_wireType}.");
        }
    }

    private readonly void Expect(int wireType)
    {
        if (_wireType != wireType)
        {
            throw new OtlpFormatException($"Wire type {_wireType} where {wireType} was expected.");
        }
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > _buffer.Length - _position)
        {
            throw new OtlpFormatException("Message is truncated.");
        }

        var slice = _buffer.Slice(_position, count);
        _position += count;
        return slice;
    }
}
