using System.Globalization;
using System.Text;

namespace Platform.Redis.Protocol;

/// <summary>A command name, pre-encoded once.</summary>
internal sealed class CommandName(string text)
{
    public string Text { get; } = text;

    public byte[] Encoded { get; } = RespWriter.Encode(text);

    public override string ToString() => Text;
}

/// <summary>A command and its arguments, held inline so the common commands allocate nothing before they are written.
/// <see cref="Tail"/> carries variable-length arguments (keys, values, hash/sorted-set entries, raw objects).</summary>
internal struct CommandArgs
{
    public CommandName Name;
    public int Inline;
    public RedisValue A0, A1, A2, A3, A4, A5, A6;
    public object? Tail;
    public object? Tail2;
    public RedisValue Trailer;
    public bool HasTrailer;

    public CommandArgs(CommandName name) => Name = name;

    public CommandArgs(CommandName name, RedisValue a0) : this(name) { A0 = a0; Inline = 1; }

    public CommandArgs(CommandName name, RedisValue a0, RedisValue a1) : this(name, a0) { A1 = a1; Inline = 2; }

    public CommandArgs(CommandName name, RedisValue a0, RedisValue a1, RedisValue a2) : this(name, a0, a1) { A2 = a2; Inline = 3; }

    public CommandArgs Add(RedisValue v)
    {
        switch (Inline)
        {
            case 0: A0 = v; break;
            case 1: A1 = v; break;
            case 2: A2 = v; break;
            case 3: A3 = v; break;
            case 4: A4 = v; break;
            case 5: A5 = v; break;
            case 6: A6 = v; break;
            default: throw new InvalidOperationException("too many inline arguments");
        }

        Inline++;
        return this;
    }

    public readonly RedisValue FirstKey => Inline > 0 ? A0 : RedisValue.Null;

    private static int TailCount(object? tail) => tail switch
    {
        null => 0,
        RedisKey[] k => k.Length,
        RedisValue[] v => v.Length,
        HashEntry[] h => h.Length * 2,
        SortedSetEntry[] s => s.Length * 2,
        object[] o => o.Length,
        _ => throw new InvalidOperationException("unsupported argument list"),
    };

    public readonly void Write(ref RespWriter w)
    {
        w.WriteArrayHeader(1 + Inline + TailCount(Tail) + TailCount(Tail2) + (HasTrailer ? 1 : 0));
        w.WriteRaw(Name.Encoded);
        if (Inline > 0) w.WriteBulk(A0);
        if (Inline > 1) w.WriteBulk(A1);
        if (Inline > 2) w.WriteBulk(A2);
        if (Inline > 3) w.WriteBulk(A3);
        if (Inline > 4) w.WriteBulk(A4);
        if (Inline > 5) w.WriteBulk(A5);
        if (Inline > 6) w.WriteBulk(A6);
        WriteTail(ref w, Tail);
        WriteTail(ref w, Tail2);
        if (HasTrailer) w.WriteBulk(Trailer);
    }

    private static void WriteTail(ref RespWriter w, object? tail)
    {
        switch (tail)
        {
            case RedisKey[] keys:
                foreach (var k in keys) w.WriteBulk((RedisValue)k);
                break;
            case RedisValue[] values:
                foreach (var v in values) w.WriteBulk(v);
                break;
            case HashEntry[] entries:
                foreach (var e in entries)
                {
                    w.WriteBulk(e.Name);
                    w.WriteBulk(e.Value);
                }

                break;
            case SortedSetEntry[] entries:
                foreach (var e in entries)
                {
                    w.WriteBulk(e.Score);
                    w.WriteBulk(e.Element);
                }

                break;
            case object[] raw:
                foreach (var o in raw) w.WriteBulk(ToValue(o));
                break;
        }
    }

    internal static RedisValue ToValue(object? o) => o switch
    {
        null => RedisValue.Null,
        RedisValue v => v,
        RedisKey k => k,
        string s => s,
        byte[] b => b,
        ReadOnlyMemory<byte> m => m,
        int i => i,
        long l => l,
        double d => d,
        bool b => b,
        RedisChannel c => c.Name,
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => o.ToString(),
    };

    public readonly override string ToString()
    {
        // Only the command name: arguments may be secrets (AUTH) or large.
        var sb = new StringBuilder(Name.Text);
        return sb.ToString();
    }
}
