using Platform.Redis.Protocol;

namespace Platform.Redis.Internal;

/// <summary>Pre-encoded command names.</summary>
internal static class Cmd
{
    public static readonly CommandName Get = new("GET"), Set = new("SET"), GetDel = new("GETDEL"), GetEx = new("GETEX"),
        IncrBy = new("INCRBY"), DecrBy = new("DECRBY"), Incr = new("INCR"), Del = new("DEL"), Exists = new("EXISTS"),
        PExpire = new("PEXPIRE"), Persist = new("PERSIST"), PTtl = new("PTTL"), HSet = new("HSET"), HSetNx = new("HSETNX"),
        HGet = new("HGET"), HMGet = new("HMGET"), HGetAll = new("HGETALL"), HDel = new("HDEL"), HIncrBy = new("HINCRBY"),
        HExists = new("HEXISTS"), HLen = new("HLEN"), SAdd = new("SADD"), SRem = new("SREM"), SMembers = new("SMEMBERS"),
        SIsMember = new("SISMEMBER"), SCard = new("SCARD"), ZAdd = new("ZADD"), ZRem = new("ZREM"), ZRange = new("ZRANGE"),
        ZRemRangeByScore = new("ZREMRANGEBYSCORE"), ZCard = new("ZCARD"), ZScore = new("ZSCORE"), LPush = new("LPUSH"),
        RPush = new("RPUSH"), LRange = new("LRANGE"), LLen = new("LLEN"), Publish = new("PUBLISH"), EvalSha = new("EVALSHA"),
        Eval = new("EVAL"), Ping = new("PING"), Wait = new("WAIT"), Scan = new("SCAN"), Multi = new("MULTI"), Exec = new("EXEC");
}

/// <summary>Every typed command, written once on top of <see cref="Send{T}"/>; the database sends at once, batches
/// and transactions queue.</summary>
internal abstract class RedisCommands : IDatabaseAsync
{
    public abstract int Database { get; }

    protected abstract Task<T> Send<T>(in CommandArgs args, ResultProcessor<T> processor, CommandFlags flags);

    private static RedisValue Ms(TimeSpan t) => (long)t.TotalMilliseconds;

    public Task<RedisValue> StringGetAsync(RedisKey key, CommandFlags flags = CommandFlags.None) =>
        Send(new CommandArgs(Cmd.Get, key), Processors.Value, flags);

    public Task<bool> StringSetAsync(RedisKey key, RedisValue value, TimeSpan? expiry = null, When when = When.Always, CommandFlags flags = CommandFlags.None) =>
        Send(SetArgs(key, value, expiry, when, get: false), Processors.Ok, flags);

    public Task<RedisValue> StringSetAndGetAsync(RedisKey key, RedisValue value, TimeSpan? expiry = null, When when = When.Always, CommandFlags flags = CommandFlags.None) =>
        Send(SetArgs(key, value, expiry, when, get: true), Processors.Value, flags);

    private static CommandArgs SetArgs(RedisKey key, RedisValue value, TimeSpan? expiry, When when, bool get)
    {
        var args = new CommandArgs(Cmd.Set, key, value);
        if (expiry is { } e)
        {
            args = args.Add("PX").Add(Ms(e));
        }

        if (when != When.Always)
        {
            args = args.Add(when == When.Exists ? "XX" : "NX");
        }

        return get ? args.Add("GET") : args;
    }

    public Task<RedisValue> StringGetDeleteAsync(RedisKey key, CommandFlags flags = CommandFlags.None) =>
        Send(new CommandArgs(Cmd.GetDel, key), Processors.Value, flags);

    public Task<RedisValue> StringGetSetExpiryAsync(RedisKey key, TimeSpan? expiry, CommandFlags flags = CommandFlags.None) =>
        Send(expiry is { } e ? new CommandArgs(Cmd.GetEx, key, "PX", Ms(e)) : new CommandArgs(Cmd.GetEx, key, "PERSIST"), Processors.Value, flags);

    public Task<long> StringIncrementAsync(RedisKey key, long value = 1, CommandFlags flags = CommandFlags.None) =>
        Send(value == 1 ? new CommandArgs(Cmd.Incr, key) : new CommandArgs(Cmd.IncrBy, key, value), Processors.Int64, flags);

    public Task<long> StringDecrementAsync(RedisKey key, long value = 1, CommandFlags flags = CommandFlags.None) =>
        Send(new CommandArgs(Cmd.DecrBy, key, value), Processors.Int64, flags);

    public Task<bool> KeyDeleteAsync(RedisKey key, CommandFlags flags = CommandFlags.None) =>
        Send(new CommandArgs(Cmd.Del, key), Processors.Boolean, flags);

    public Task<long> KeyDeleteAsync(RedisKey[] keys, CommandFlags flags = CommandFlags.None) =>
        keys.Length == 0 ? Task.FromResult(0L) : Send(new CommandArgs(Cmd.Del) { Tail = keys }, Processors.Int64, flags);

    public Task<bool> KeyExistsAsync(RedisKey key, CommandFlags flags = CommandFlags.None) =>
        Send(new CommandArgs(Cmd.Exists, key), Processors.Boolean, flags);

    public Task<bool> KeyExpireAsync(RedisKey key, TimeSpan? expiry, CommandFlags flags = CommandFlags.None) =>
        Send(expiry is { } e ? new CommandArgs(Cmd.PExpire, key, Ms(e)) : new CommandArgs(Cmd.Persist, key), Processors.Boolean, flags);

    public Task<TimeSpan?> KeyTimeToLiveAsync(RedisKey key, CommandFlags flags = CommandFlags.None) =>
        Send(new CommandArgs(Cmd.PTtl, key), Processors.MillisecondsTtl, flags);

    public Task<bool> HashSetAsync(RedisKey key, RedisValue field, RedisValue value, When when = When.Always, CommandFlags flags = CommandFlags.None) =>
        Send(new CommandArgs(when == When.NotExists ? Cmd.HSetNx : Cmd.HSet, key, field, value), Processors.Boolean, flags);

    public Task HashSetAsync(RedisKey key, HashEntry[] entries, CommandFlags flags = CommandFlags.None) =>
        entries.Length == 0 ? Task.CompletedTask : Send(new CommandArgs(Cmd.HSet, key) { Tail = entries }, Processors.Int64, flags);

    public Task<RedisValue> HashGetAsync(RedisKey key, RedisValue field, CommandFlags flags = CommandFlags.None) =>
        Send(new CommandArgs(Cmd.HGet, key, field), Processors.Value, flags);

    public Task<RedisValue[]> HashGetAsync(RedisKey key, RedisValue[] fields, CommandFlags flags = CommandFlags.None) =>
        Send(new CommandArgs(Cmd.HMGet, key) { Tail = fields }, Processors.Values, flags);

    public Task<HashEntry[]> HashGetAllAsync(RedisKey key, CommandFlags flags = CommandFlags.None) =>
        Send(new CommandArgs(Cmd.HGetAll, key), Processors.HashEntries, flags);

    public Task<bool> HashDeleteAsync(RedisKey key, RedisValue field, CommandFlags flags = CommandFlags.None) =>
        Send(new CommandArgs(Cmd.HDel, key, field), Processors.Boolean, flags);

    public Task<long> HashIncrementAsync(RedisKey key, RedisValue field, long value = 1, CommandFlags flags = CommandFlags.None) =>
        Send(new CommandArgs(Cmd.HIncrBy, key, field, value), Processors.Int64, flags);

    public Task<bool> HashExistsAsync(RedisKey key, RedisValue field, CommandFlags flags = CommandFlags.None) =>
        Send(new CommandArgs(Cmd.HExists, key, field), Processors.Boolean, flags);

    public Task<long> HashLengthAsync(RedisKey key, CommandFlags flags = CommandFlags.None) =>
        Send(new CommandArgs(Cmd.HLen, key), Processors.Int64, flags);

    public Task<bool> SetAddAsync(RedisKey key, RedisValue value, CommandFlags flags = CommandFlags.None) =>
        Send(new CommandArgs(Cmd.SAdd, key, value), Processors.Boolean, flags);

    public Task<long> SetAddAsync(RedisKey key, RedisValue[] values, CommandFlags flags = CommandFlags.None) =>
        Send(new CommandArgs(Cmd.SAdd, key) { Tail = values }, Processors.Int64, flags);

    public Task<bool> SetRemoveAsync(RedisKey key, RedisValue value, CommandFlags flags = CommandFlags.None) =>
        Send(new CommandArgs(Cmd.SRem, key, value), Processors.Boolean, flags);

    public Task<RedisValue[]> SetMembersAsync(RedisKey key, CommandFlags flags = CommandFlags.None) =>
        Send(new CommandArgs(Cmd.SMembers, key), Processors.Values, flags);

    public Task<bool> SetContainsAsync(RedisKey key, RedisValue value, CommandFlags flags = CommandFlags.None) =>
        Send(new CommandArgs(Cmd.SIsMember, key, value), Processors.Boolean, flags);

    public Task<long> SetLengthAsync(RedisKey key, CommandFlags flags = CommandFlags.None) =>
        Send(new CommandArgs(Cmd.SCard, key), Processors.Int64, flags);

    public Task<bool> SortedSetAddAsync(RedisKey key, RedisValue member, double score, CommandFlags flags = CommandFlags.None) =>
        Send(new CommandArgs(Cmd.ZAdd, key, score, member), Processors.Boolean, flags);

    public Task<long> SortedSetAddAsync(RedisKey key, SortedSetEntry[] entries, CommandFlags flags = CommandFlags.None) =>
        Send(new CommandArgs(Cmd.ZAdd, key) { Tail = entries }, Processors.Int64, flags);

    public Task<bool> SortedSetRemoveAsync(RedisKey key, RedisValue member, CommandFlags flags = CommandFlags.None) =>
        Send(new CommandArgs(Cmd.ZRem, key, member), Processors.Boolean, flags);

    public Task<RedisValue[]> SortedSetRangeByScoreAsync(RedisKey key, double start = double.NegativeInfinity, double stop = double.PositiveInfinity,
        Exclude exclude = Exclude.None, Order order = Order.Ascending, long skip = 0, long take = -1, CommandFlags flags = CommandFlags.None) =>
        Send(RangeByScore(key, start, stop, exclude, order, skip, take, withScores: false), Processors.Values, flags);

    public Task<SortedSetEntry[]> SortedSetRangeByScoreWithScoresAsync(RedisKey key, double start = double.NegativeInfinity, double stop = double.PositiveInfinity,
        Exclude exclude = Exclude.None, Order order = Order.Ascending, long skip = 0, long take = -1, CommandFlags flags = CommandFlags.None) =>
        Send(RangeByScore(key, start, stop, exclude, order, skip, take, withScores: true), Processors.SortedSetEntries, flags);

    private static CommandArgs RangeByScore(RedisKey key, double start, double stop, Exclude exclude, Order order, long skip, long take, bool withScores)
    {
        var min = Bound(start, (exclude & Exclude.Start) != 0);
        var max = Bound(stop, (exclude & Exclude.Stop) != 0);
        // ZRANGE … BYSCORE REV takes the bounds high first.
        var args = order == Order.Descending ? new CommandArgs(Cmd.ZRange, key, max, min).Add("BYSCORE").Add("REV") : new CommandArgs(Cmd.ZRange, key, min, max).Add("BYSCORE");
        var tail = new List<object>(4);
        if (skip != 0 || take != -1)
        {
            tail.Add("LIMIT");
            tail.Add(skip);
            tail.Add(take);
        }

        if (withScores)
        {
            tail.Add("WITHSCORES");
        }

        args.Tail = tail.Count == 0 ? null : tail.ToArray();
        return args;
    }

    private static RedisValue Bound(double value, bool exclusive)
    {
        var text = RedisValue.FormatDouble(value);
        return exclusive ? "(" + text : text;
    }

    public Task<long> SortedSetRemoveRangeByScoreAsync(RedisKey key, double start, double stop, Exclude exclude = Exclude.None, CommandFlags flags = CommandFlags.None) =>
        Send(new CommandArgs(Cmd.ZRemRangeByScore, key, Bound(start, (exclude & Exclude.Start) != 0), Bound(stop, (exclude & Exclude.Stop) != 0)), Processors.Int64, flags);

    public Task<long> SortedSetLengthAsync(RedisKey key, CommandFlags flags = CommandFlags.None) =>
        Send(new CommandArgs(Cmd.ZCard, key), Processors.Int64, flags);

    public Task<double?> SortedSetScoreAsync(RedisKey key, RedisValue member, CommandFlags flags = CommandFlags.None) =>
        Send(new CommandArgs(Cmd.ZScore, key, member), Processors.NullableDouble, flags);

    public Task<long> ListLeftPushAsync(RedisKey key, RedisValue value, CommandFlags flags = CommandFlags.None) =>
        Send(new CommandArgs(Cmd.LPush, key, value), Processors.Int64, flags);

    public Task<long> ListRightPushAsync(RedisKey key, RedisValue value, CommandFlags flags = CommandFlags.None) =>
        Send(new CommandArgs(Cmd.RPush, key, value), Processors.Int64, flags);

    public Task<RedisValue[]> ListRangeAsync(RedisKey key, long start = 0, long stop = -1, CommandFlags flags = CommandFlags.None) =>
        Send(new CommandArgs(Cmd.LRange, key, start, stop), Processors.Values, flags);

    public Task<long> ListLengthAsync(RedisKey key, CommandFlags flags = CommandFlags.None) =>
        Send(new CommandArgs(Cmd.LLen, key), Processors.Int64, flags);

    public Task<long> PublishAsync(RedisChannel channel, RedisValue message, CommandFlags flags = CommandFlags.None) =>
        Send(new CommandArgs(Cmd.Publish, channel.Name, message), Processors.Int64, flags);

    public virtual Task<RedisResult> ScriptEvaluateAsync(RedisScript script, RedisKey[]? keys = null, RedisValue[]? values = null, CommandFlags flags = CommandFlags.None) =>
        Send(ScriptArgs(Cmd.EvalSha, script.Sha1, keys, values), Processors.Result, flags);

    public Task<RedisResult> ScriptEvaluateAsync(string script, RedisKey[]? keys = null, RedisValue[]? values = null, CommandFlags flags = CommandFlags.None) =>
        Send(ScriptArgs(Cmd.Eval, script, keys, values), Processors.Result, flags);

    internal static CommandArgs ScriptArgs(CommandName name, string scriptOrSha, RedisKey[]? keys, RedisValue[]? values) =>
        new(name, scriptOrSha, keys?.Length ?? 0) { Tail = keys, Tail2 = values };

    public Task<RedisResult> ExecuteAsync(string command, params object[] args) => ExecuteAsync(command, (ICollection<object>)args);

    public Task<RedisResult> ExecuteAsync(string command, ICollection<object> args, CommandFlags flags = CommandFlags.None)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(command);
        return Send(new CommandArgs(new CommandName(command)) { Tail = args as object[] ?? [.. args] }, Processors.Result, flags);
    }

    public async Task<TimeSpan> PingAsync(CommandFlags flags = CommandFlags.None)
    {
        var start = System.Diagnostics.Stopwatch.GetTimestamp();
        await Send(new CommandArgs(Cmd.Ping), Processors.Result, flags).ConfigureAwait(false);
        return System.Diagnostics.Stopwatch.GetElapsedTime(start);
    }
}
