using System.Text;
using Microsoft.AspNetCore.SignalR;

namespace Platform.SignalR.Redis;

internal enum EnvelopeKind : byte
{
    /// <summary>Hub messages, pre-serialized per protocol, plus the connections to skip.</summary>
    Invocation = 1,
    /// <summary>Add or remove the connection named by the channel to or from a group; the owner acknowledges.</summary>
    GroupCommand = 2,
    Ack = 3,
    /// <summary>An invocation that expects a client result; the owner routes the completion back to the origin.</summary>
    ClientInvocation = 4,
    ClientResult = 5,
    ClientCancel = 6,
}

internal enum GroupAction : byte
{
    Add = 1,
    Remove = 2,
}

internal enum ClientResultStatus : byte
{
    Completed = 1,
    Disconnected = 2,
}

/// <summary>
/// Our own compact binary format on the wire: <c>[version:1][kind:1][origin server:16]</c> then a kind-specific body of
/// LEB128 var-ints, length-prefixed UTF-8 strings and length-prefixed byte blocks. Hub payloads are carried as already
/// serialized bytes per hub protocol, so a receiving server writes them to its connections without re-serializing.
/// </summary>
internal static class Envelope
{
    public const byte Version = 1;
    private const int HeaderSize = 2 + 16;
    private static readonly UTF8Encoding Utf8 = new(false, true);

    public static byte[] Invocation(Guid origin, IReadOnlyList<string>? excluded, IReadOnlyList<SerializedMessage> messages)
    {
        var size = HeaderSize + SizeOfStrings(excluded) + SizeOfMessages(messages);
        var w = new Writer(size, EnvelopeKind.Invocation, origin);
        w.WriteStrings(excluded);
        w.WriteMessages(messages);
        return w.Done();
    }

    public static byte[] ClientInvocation(Guid origin, string invocationId, IReadOnlyList<SerializedMessage> messages)
    {
        var w = new Writer(HeaderSize + SizeOf(invocationId) + SizeOfMessages(messages), EnvelopeKind.ClientInvocation, origin);
        w.WriteString(invocationId);
        w.WriteMessages(messages);
        return w.Done();
    }

    public static byte[] GroupCommand(Guid origin, long ackId, GroupAction action, string connectionId, string groupName)
    {
        var w = new Writer(HeaderSize + SizeOf(ackId) + 1 + SizeOf(connectionId) + SizeOf(groupName), EnvelopeKind.GroupCommand, origin);
        w.WriteVarInt(ackId);
        w.WriteByte((byte)action);
        w.WriteString(connectionId);
        w.WriteString(groupName);
        return w.Done();
    }

    public static byte[] Ack(Guid origin, long ackId)
    {
        var w = new Writer(HeaderSize + SizeOf(ackId), EnvelopeKind.Ack, origin);
        w.WriteVarInt(ackId);
        return w.Done();
    }

    public static byte[] ClientResult(Guid origin, string invocationId, ClientResultStatus status, string protocol, ReadOnlyMemory<byte> completion)
    {
        var w = new Writer(HeaderSize + SizeOf(invocationId) + 1 + SizeOf(protocol) + SizeOf(completion.Length) + completion.Length,
            EnvelopeKind.ClientResult, origin);
        w.WriteString(invocationId);
        w.WriteByte((byte)status);
        w.WriteString(protocol);
        w.WriteBytes(completion.Span);
        return w.Done();
    }

    public static byte[] ClientCancel(Guid origin, string invocationId)
    {
        var w = new Writer(HeaderSize + SizeOf(invocationId), EnvelopeKind.ClientCancel, origin);
        w.WriteString(invocationId);
        return w.Done();
    }

    /// <summary>Reads the header; throws <see cref="FormatException"/> for anything that is not a version-1 envelope.</summary>
    public static Reader Open(ReadOnlyMemory<byte> data, out EnvelopeKind kind, out Guid origin)
    {
        if (data.Length < HeaderSize || data.Span[0] != Version)
        {
            throw new FormatException("Not a backplane envelope of version 1.");
        }

        kind = (EnvelopeKind)data.Span[1];
        origin = new Guid(data.Span.Slice(2, 16));
        return new Reader(data, HeaderSize);
    }

    private static int SizeOf(long value)
    {
        var n = 1;
        for (var v = (ulong)value; v >= 0x80; v >>= 7)
        {
            n++;
        }

        return n;
    }

    private static int SizeOf(string value)
    {
        var len = Utf8.GetByteCount(value);
        return SizeOf(len) + len;
    }

    private static int SizeOfStrings(IReadOnlyList<string>? values)
    {
        var size = SizeOf(values?.Count ?? 0);
        for (var i = 0; i < (values?.Count ?? 0); i++)
        {
            size += SizeOf(values![i]);
        }

        return size;
    }

    private static int SizeOfMessages(IReadOnlyList<SerializedMessage> messages)
    {
        var size = SizeOf(messages.Count);
        foreach (var m in messages)
        {
            size += SizeOf(m.ProtocolName) + SizeOf(m.Serialized.Length) + m.Serialized.Length;
        }

        return size;
    }

    private ref struct Writer
    {
        private readonly byte[] _buffer;
        private int _pos;

        public Writer(int size, EnvelopeKind kind, Guid origin)
        {
            _buffer = new byte[size];
            _buffer[0] = Version;
            _buffer[1] = (byte)kind;
            origin.TryWriteBytes(_buffer.AsSpan(2, 16));
            _pos = HeaderSize;
        }

        public void WriteByte(byte b) => _buffer[_pos++] = b;

        public void WriteVarInt(long value)
        {
            var v = (ulong)value;
            while (v >= 0x80)
            {
                _buffer[_pos++] = (byte)(v | 0x80);
                v >>= 7;
            }

            _buffer[_pos++] = (byte)v;
        }

        public void WriteString(string value)
        {
            var len = Utf8.GetByteCount(value);
            WriteVarInt(len);
            _pos += Utf8.GetBytes(value, _buffer.AsSpan(_pos, len));
        }

        public void WriteBytes(ReadOnlySpan<byte> bytes)
        {
            WriteVarInt(bytes.Length);
            bytes.CopyTo(_buffer.AsSpan(_pos));
            _pos += bytes.Length;
        }

        public void WriteStrings(IReadOnlyList<string>? values)
        {
            WriteVarInt(values?.Count ?? 0);
            for (var i = 0; i < (values?.Count ?? 0); i++)
            {
                WriteString(values![i]);
            }
        }

        public void WriteMessages(IReadOnlyList<SerializedMessage> messages)
        {
            WriteVarInt(messages.Count);
            foreach (var m in messages)
            {
                WriteString(m.ProtocolName);
                WriteBytes(m.Serialized.Span);
            }
        }

        public readonly byte[] Done() => _pos == _buffer.Length ? _buffer : throw new InvalidOperationException("Envelope size mismatch.");
    }

    internal struct Reader(ReadOnlyMemory<byte> data, int position)
    {
        private int _pos = position;

        public byte ReadByte() => _pos < data.Length ? data.Span[_pos++] : throw Truncated();

        public long ReadVarInt()
        {
            ulong result = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                var b = ReadByte();
                result |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return (long)result;
                }
            }

            throw new FormatException("Malformed var-int in backplane envelope.");
        }

        public ReadOnlyMemory<byte> ReadBytes()
        {
            var len = ReadVarInt();
            if (len < 0 || len > data.Length - _pos)
            {
                throw Truncated();
            }

            var slice = data.Slice(_pos, (int)len);
            _pos += (int)len;
            return slice;
        }

        public string ReadString() => Utf8.GetString(ReadBytes().Span);

        /// <summary>Reads a string that is one of a few known values (protocol names) without allocating.</summary>
        public string ReadKnownString(IReadOnlyList<string> known)
        {
            var span = ReadBytes().Span;
            foreach (var k in known)
            {
                if (Utf8Equals(span, k))
                {
                    return k;
                }
            }

            return Utf8.GetString(span);
        }

        public string[] ReadStrings()
        {
            var count = ReadVarInt();
            if (count == 0)
            {
                return [];
            }

            if (count < 0 || count > data.Length - _pos)
            {
                throw Truncated();
            }

            var values = new string[count];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = ReadString();
            }

            return values;
        }

        public SerializedMessage[] ReadMessages(IReadOnlyList<string> knownProtocols)
        {
            var count = ReadVarInt();
            if (count < 0 || count > data.Length - _pos)
            {
                throw Truncated();
            }

            var messages = new SerializedMessage[count];
            for (var i = 0; i < messages.Length; i++)
            {
                var protocol = ReadKnownString(knownProtocols);
                messages[i] = new SerializedMessage(protocol, ReadBytes());
            }

            return messages;
        }

        private static bool Utf8Equals(ReadOnlySpan<byte> utf8, string ascii)
        {
            if (utf8.Length != ascii.Length)
            {
                return false;
            }

            for (var i = 0; i < utf8.Length; i++)
            {
                if (utf8[i] != ascii[i])
                {
                    return false;
                }
            }

            return true;
        }

        private static FormatException Truncated() => new("Truncated backplane envelope.");
    }
}
