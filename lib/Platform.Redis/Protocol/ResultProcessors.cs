namespace Platform.Redis.Protocol;

/// <summary>Turns one reply value into a typed result. Every processor consumes exactly one value.</summary>
internal abstract class ResultProcessor<T>
{
    public abstract T Parse(ref RespReader reader);
}

internal static class Processors
{
    public static readonly ResultProcessor<RedisValue> Value = new ValueProcessor();
    public static readonly ResultProcessor<long> Int64 = new Int64Processor();
    public static readonly ResultProcessor<bool> Boolean = new BooleanProcessor();
    public static readonly ResultProcessor<bool> Ok = new OkProcessor();
    public static readonly ResultProcessor<double> Double = new DoubleProcessor();
    public static readonly ResultProcessor<double?> NullableDouble = new NullableDoubleProcessor();
    public static readonly ResultProcessor<TimeSpan?> MillisecondsTtl = new TtlProcessor();
    public static readonly ResultProcessor<RedisValue[]> Values = new ValuesProcessor();
    public static readonly ResultProcessor<HashEntry[]> HashEntries = new HashEntriesProcessor();
    public static readonly ResultProcessor<SortedSetEntry[]> SortedSetEntries = new SortedSetEntriesProcessor();
    public static readonly ResultProcessor<RedisResult> Result = new ResultProcessor();
    public static readonly ResultProcessor<(long Cursor, RedisValue[] Items)> Scan = new ScanProcessor();

    private sealed class ValueProcessor : ResultProcessor<RedisValue>
    {
        public override RedisValue Parse(ref RespReader reader) => reader.ReadValue();
    }

    private sealed class Int64Processor : ResultProcessor<long>
    {
        public override long Parse(ref RespReader reader) => (long)reader.ReadValue();
    }

    /// <summary>Integer replies 1/0, or a simple OK.</summary>
    private sealed class BooleanProcessor : ResultProcessor<bool>
    {
        public override bool Parse(ref RespReader reader)
        {
            var v = reader.ReadValue();
            return !v.IsNull && (v.IsInteger ? (long)v != 0 : v.ToString() == "OK" || v.ToString() == "1");
        }
    }

    /// <summary>OK is true; a null reply (SET NX that did not set) is false.</summary>
    private sealed class OkProcessor : ResultProcessor<bool>
    {
        public override bool Parse(ref RespReader reader)
        {
            var t = reader.ReadValueToken();
            if (t.IsError)
            {
                throw new RedisServerException(t.PayloadString());
            }

            if (t.IsAggregate)
            {
                for (var i = 0; i < t.ChildCount; i++)
                {
                    reader.Skip();
                }
            }

            return !t.IsNull;
        }
    }

    private sealed class DoubleProcessor : ResultProcessor<double>
    {
        public override double Parse(ref RespReader reader) => (double)reader.ReadValue();
    }

    private sealed class NullableDoubleProcessor : ResultProcessor<double?>
    {
        public override double? Parse(ref RespReader reader) => (double?)reader.ReadValue();
    }

    /// <summary>PTTL: -2 (no key) and -1 (no expiry) are null.</summary>
    private sealed class TtlProcessor : ResultProcessor<TimeSpan?>
    {
        public override TimeSpan? Parse(ref RespReader reader)
        {
            var ms = (long)reader.ReadValue();
            return ms < 0 ? null : TimeSpan.FromMilliseconds(ms);
        }
    }

    private sealed class ValuesProcessor : ResultProcessor<RedisValue[]>
    {
        public override RedisValue[] Parse(ref RespReader reader)
        {
            var n = reader.ReadAggregateHeader();
            if (n <= 0)
            {
                return [];
            }

            var items = new RedisValue[n];
            for (var i = 0; i < n; i++)
            {
                items[i] = reader.ReadValue();
            }

            return items;
        }
    }

    /// <summary>A RESP2 flat array or a RESP3 map.</summary>
    private sealed class HashEntriesProcessor : ResultProcessor<HashEntry[]>
    {
        public override HashEntry[] Parse(ref RespReader reader)
        {
            var n = reader.ReadAggregateHeader();
            if (n <= 0)
            {
                return [];
            }

            var items = new HashEntry[n / 2];
            for (var i = 0; i < items.Length; i++)
            {
                items[i] = new HashEntry(reader.ReadValue(), reader.ReadValue());
            }

            return items;
        }
    }

    /// <summary>WITHSCORES: RESP2 flat member/score pairs or RESP3 nested [member, score] arrays.</summary>
    private sealed class SortedSetEntriesProcessor : ResultProcessor<SortedSetEntry[]>
    {
        public override SortedSetEntry[] Parse(ref RespReader reader)
        {
            var n = reader.ReadAggregateHeader();
            if (n <= 0)
            {
                return [];
            }

            var list = new List<SortedSetEntry>((int)Math.Min(n, 1024));
            var read = 0L;
            while (read < n)
            {
                var t = reader.ReadValueToken();
                if (t.IsAggregate)
                {
                    var member = reader.ReadValue();
                    var score = (double)reader.ReadValue();
                    list.Add(new SortedSetEntry(member, score));
                    read++;
                }
                else
                {
                    var member = RespReader.ToValue(ref reader, t);
                    var score = (double)reader.ReadValue();
                    list.Add(new SortedSetEntry(member, score));
                    read += 2;
                }
            }

            return [.. list];
        }
    }

    private sealed class ResultProcessor : ResultProcessor<RedisResult>
    {
        public override RedisResult Parse(ref RespReader reader)
        {
            var r = reader.ReadResult();
            return r.Type == ResultType.Error ? throw new RedisServerException(r.ToString()) : r;
        }
    }

    private sealed class ScanProcessor : ResultProcessor<(long, RedisValue[])>
    {
        public override (long, RedisValue[]) Parse(ref RespReader reader)
        {
            if (reader.ReadAggregateHeader() != 2)
            {
                throw new InvalidCastException("SCAN reply is not [cursor, items]");
            }

            var cursor = (long)reader.ReadValue();
            return (cursor, Values.Parse(ref reader));
        }
    }
}
