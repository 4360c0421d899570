using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace Platform.Redis.Protocol;

/// <summary>Writes RESP arrays of bulk strings straight into a buffer writer (the connection's outbound pipe or a
/// batch's buffer), without intermediate arrays.</summary>
internal ref struct RespWriter(IBufferWriter<byte> output)
{
    private readonly IBufferWriter<byte> _output = output;

    public void WriteArrayHeader(int count) => WriteHeader((byte)'*', count);

    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        var span = _output.GetSpan(bytes.Length);
        bytes.CopyTo(span);
        _output.Advance(bytes.Length);
    }

    public void WriteBulk(in RedisValue value)
    {
        var len = value.ByteCount;
        WriteHeader((byte)'$', len);
        if (len <= 64 * 1024)
        {
            var span = _output.GetSpan(len + 2);
            value.WriteTo(span);
            span[len] = (byte)'\r';
            span[len + 1] = (byte)'\n';
            _output.Advance(len + 2);
        }
        else
        {
            // Large values go in chunks so the pipe never needs one huge contiguous block.
            var bytes = (ReadOnlyMemory<byte>)value;
            var src = bytes.Span;
            while (!src.IsEmpty)
            {
                var span = _output.GetSpan(Math.Min(src.Length, 64 * 1024));
                var n = Math.Min(span.Length, src.Length);
                src[..n].CopyTo(span);
                _output.Advance(n);
                src = src[n..];
            }

            WriteRaw("\r\n"u8);
        }
    }

    public void WriteBulk(string value) => WriteBulk((RedisValue)value);

    public void WriteBulk(long value)
    {
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(value, digits, out var n);
        WriteHeader((byte)'$', n);
        var span = _output.GetSpan(n + 2);
        digits[..n].CopyTo(span);
        span[n] = (byte)'\r';
        span[n + 1] = (byte)'\n';
        _output.Advance(n + 2);
    }

    private void WriteHeader(byte prefix, int count)
    {
        var span = _output.GetSpan(16);
        span[0] = prefix;
        Utf8Formatter.TryFormat(count, span[1..], out var n);
        span[n + 1] = (byte)'\r';
        span[n + 2] = (byte)'\n';
        _output.Advance(n + 3);
    }

    /// <summary>Pre-encodes a command name as a bulk string.</summary>
    public static byte[] Encode(string name)
    {
        var bytes = Encoding.ASCII.GetBytes(name);
        return Encoding.ASCII.GetBytes($"${bytes.Length}\r\n{name}\r\n");
    }
}
