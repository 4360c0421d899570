using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace Platform.Redis.Protocol;

/// <summary>The wire stream broke the protocol; the connection that saw it is dropped.</summary>
public sealed class RedisProtocolException(string message) : Exception(message);

/// <summary>One RESP header (and, for scalars, its payload).</summary>
internal readonly struct RespToken(byte type, long length, ReadOnlySequence<byte> payload)
{
    public byte Type { get; } = type;

    /// <summary>Element count for aggregates, byte length for blobs, -1 for RESP2 nulls.</summary>
    public long Length { get; } = length;

    public ReadOnlySequence<byte> Payload { get; } = payload;

    public bool IsAggregate => Type is (byte)'*' or (byte)'~' or (byte)'>' or (byte)'%' or (byte)'|';

    public bool IsNull => Type == (byte)'_' || (Length < 0 && Type is (byte)'$' or (byte)'*');

    public bool IsError => Type is (byte)'-' or (byte)'!';

    /// <summary>Children in the stream: maps and attributes count key and value.</summary>
    public long ChildCount => !IsAggregate || Length < 0 ? 0 : Type is (byte)'%' or (byte)'|' ? Length * 2 : Length;

    public string PayloadString() => Encoding.UTF8.GetString(Payload);
}

/// <summary>Reads values from a buffer that is known to hold complete frames (see <see cref="TryScanFrame"/>).</summary>
internal ref struct RespReader
{
    private const int MaxLine = 1024 * 1024;
    private const int MaxDepth = 512;
    private SequenceReader<byte> _reader;

    public RespReader(ReadOnlySequence<byte> buffer) => _reader = new SequenceReader<byte>(buffer);

    public readonly SequencePosition Position => _reader.Position;

    public readonly ReadOnlySequence<byte> Sequence => _reader.Sequence;

    public readonly bool End => _reader.End;

    /// <summary>True when <paramref name="buffer"/> starts with a whole frame; throws on bytes that are not RESP.
    /// Iterative, so hostile nesting cannot overflow the stack.</summary>
    public static bool TryScanFrame(in ReadOnlySequence<byte> buffer, out SequencePosition end)
    {
        var r = new RespReader(buffer);
        long remaining = 1;
        end = default;
        while (remaining > 0)
        {
            if (!r.TryReadToken(out var token))
            {
                return false;
            }

            remaining += token.ChildCount - 1;
            if (token.Type == (byte)'|')
            {
                remaining++; // an attribute precedes the value it describes
            }
        }

        end = r.Position;
        return true;
    }

    public RespToken ReadToken() =>
        TryReadToken(out var t) ? t : throw new RedisProtocolException("truncated reply");

    private bool TryReadToken(out RespToken token)
    {
        token = default;
        if (!_reader.TryRead(out var type))
        {
            return false;
        }

        if (!TryReadLine(out var line))
        {
            return false;
        }

        switch (type)
        {
            case (byte)'+' or (byte)'-' or (byte)'(':
                token = new RespToken(type, line.Length, line);
                return true;
            case (byte)':':
                token = new RespToken(type, ParseInt(line), line);
                return true;
            case (byte)',':
                token = new RespToken(type, line.Length, line);
                return true;
            case (byte)'#':
                if (line.Length != 1 || (line.FirstSpan[0] != 't' && line.FirstSpan[0] != 'f'))
                {
                    throw new RedisProtocolException("invalid boolean");
                }

                token = new RespToken(type, 1, line);
                return true;
            case (byte)'_':
                if (line.Length != 0)
                {
                    throw new RedisProtocolException("invalid null");
                }

                token = new RespToken(type, -1, default);
                return true;
            case (byte)'$' or (byte)'!' or (byte)'=':
                {
                    var len = ParseInt(line);
                    if (len == -1 && type == '$')
                    {
                        token = new RespToken(type, -1, default);
                        return true;
                    }

                    if (len < 0 || len > int.MaxValue)
                    {
                        throw new RedisProtocolException("invalid bulk length");
                    }

                    if (_reader.Remaining < len + 2)
                    {
                        return false;
                    }

                    var payload = _reader.Sequence.Slice(_reader.Position, len);
                    _reader.Advance(len);
                    if (!_reader.IsNext("\r\n"u8, advancePast: true))
                    {
                        throw new RedisProtocolException("bulk string not terminated by CRLF");
                    }

                    if (type == '=' && len >= 4)
                    {
                        payload = payload.Slice(4); // verbatim strings start with "txt:" / "mkd:"
                    }

                    token = new RespToken(type, len, payload);
                    return true;
                }

            case (byte)'*' or (byte)'~' or (byte)'>' or (byte)'%' or (byte)'|':
                {
                    var len = ParseInt(line);
                    if ((len < 0 && !(len == -1 && type == '*')) || len > int.MaxValue)
                    {
                        throw new RedisProtocolException("invalid aggregate length");
                    }

                    token = new RespToken(type, len, default);
                    return true;
                }

            default:
                throw new RedisProtocolException($"unexpected reply type byte 0x{type:x2}");
        }
    }

    private bool TryReadLine(out ReadOnlySequence<byte> line)
    {
        if (_reader.TryReadTo(out line, (byte)'\n', advancePastDelimiter: true))
        {
            if (line.Length == 0 || line.Slice(line.Length - 1).FirstSpan[0] != '\r')
            {
                throw new RedisProtocolException("line not terminated by CRLF");
            }

            line = line.Slice(0, line.Length - 1);
            return true;
        }

        if (_reader.Remaining > MaxLine)
        {
            throw new RedisProtocolException("line too long");
        }

        return false;
    }

    private static long ParseInt(in ReadOnlySequence<byte> line)
    {
        if (line.Length is 0 or > 20)
        {
            throw new RedisProtocolException("invalid integer");
        }

        Span<byte> tmp = stackalloc byte[20];
        line.CopyTo(tmp);
        return Utf8Parser.TryParse(tmp[..(int)line.Length], out long v, out var used) && used == line.Length
            ? v
            : throw new RedisProtocolException("invalid integer");
    }

    /// <summary>Skips one whole value, nested or not.</summary>
    public void Skip()
    {
        long remaining = 1;
        while (remaining > 0)
        {
            var t = ReadToken();
            remaining += t.ChildCount - 1 + (t.Type == (byte)'|' ? 1 : 0);
        }
    }

    /// <summary>Reads the next value's token, skipping RESP3 attributes in front of it.</summary>
    public RespToken ReadValueToken()
    {
        while (true)
        {
            var t = ReadToken();
            if (t.Type != (byte)'|')
            {
                return t;
            }

            for (var i = 0; i < t.ChildCount; i++)
            {
                Skip();
            }
        }
    }

    /// <summary>Reads one scalar as a value. Errors throw <see cref="RedisServerException"/>.</summary>
    public RedisValue ReadValue()
    {
        var t = ReadValueToken();
        return ToValue(ref this, t);
    }

    public static RedisValue ToValue(ref RespReader reader, in RespToken t)
    {
        switch (t.Type)
        {
            case (byte)'-' or (byte)'!':
                throw new RedisServerException(t.PayloadString());
            case (byte)':':
                return t.Length;
            case (byte)'#':
                return t.Payload.FirstSpan[0] == 't';
            case (byte)',':
                return RedisValue.ParseDouble(t.PayloadString()) ?? throw new RedisProtocolException("invalid double");
            case (byte)'_':
                return RedisValue.Null;
            case (byte)'+' or (byte)'(':
                return t.PayloadString();
            case (byte)'$' or (byte)'=':
                return t.Length < 0 ? RedisValue.Null : t.Payload.ToArray();
            default:
                if (t.IsNull)
                {
                    return RedisValue.Null;
                }

                for (var i = 0; i < t.ChildCount; i++)
                {
                    reader.Skip();
                }

                throw new InvalidCastException($"expected a single value but the server replied with an aggregate ('{(char)t.Type}')");
        }
    }

    public RedisResult ReadResult() => ReadResult(0);

    private RedisResult ReadResult(int depth)
    {
        if (depth > MaxDepth)
        {
            throw new RedisProtocolException("reply nested too deeply");
        }

        var t = ReadValueToken();
        if (!t.IsAggregate || t.IsNull)
        {
            return t.Type switch
            {
                (byte)'-' or (byte)'!' => new RedisResult(ResultType.Error, t.PayloadString()),
                (byte)'+' => new RedisResult(ResultType.SimpleString, t.PayloadString()),
                (byte)':' => new RedisResult(ResultType.Integer, t.Length),
                (byte)',' => new RedisResult(ResultType.Double, ToValue(ref this, t)),
                (byte)'#' => new RedisResult(ResultType.Boolean, ToValue(ref this, t)),
                (byte)'(' => new RedisResult(ResultType.BigNumber, t.PayloadString()),
                (byte)'=' => new RedisResult(ResultType.VerbatimString, ToValue(ref this, t)),
                (byte)'$' when t.Length >= 0 => new RedisResult(ResultType.BulkString, ToValue(ref this, t)),
                _ => RedisResult.NullResult,
            };
        }

        var items = new RedisResult[t.ChildCount];
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = ReadResult(depth + 1);
        }

        var type = t.Type switch
        {
            (byte)'%' => ResultType.Map,
            (byte)'~' => ResultType.Set,
            (byte)'>' => ResultType.Push,
            _ => ResultType.Array,
        };
        return new RedisResult(type, RedisValue.Null, items);
    }

    /// <summary>Reads an aggregate header; returns the element count (maps count key and value), -1 for null.</summary>
    public long ReadAggregateHeader()
    {
        var t = ReadValueToken();
        if (t.IsError)
        {
            throw new RedisServerException(t.PayloadString());
        }

        if (t.IsNull)
        {
            return -1;
        }

        return t.IsAggregate ? t.ChildCount : throw new InvalidCastException($"expected an aggregate reply but got '{(char)t.Type}'");
    }
}
