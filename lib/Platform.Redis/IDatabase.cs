namespace Platform.Redis;

/// <summary>The typed commands, shared by <see cref="IDatabase"/>, <see cref="IBatch"/> and <see cref="ITransaction"/>.</summary>
public interface IDatabaseAsync
{
    int Database { get; }

    // strings
    Task<RedisValue> StringGetAsync(RedisKey key, CommandFlags flags = CommandFlags.None);
    Task<bool> StringSetAsync(RedisKey key, RedisValue value, TimeSpan? expiry = null, When when = When.Always, CommandFlags flags = CommandFlags.None);
    Task<RedisValue> StringSetAndGetAsync(RedisKey key, RedisValue value, TimeSpan? expiry = null, When when = When.Always, CommandFlags flags = CommandFlags.None);
    Task<RedisValue> StringGetDeleteAsync(RedisKey key, CommandFlags flags = CommandFlags.None);
    Task<RedisValue> StringGetSetExpiryAsync(RedisKey key, TimeSpan? expiry, CommandFlags flags = CommandFlags.None);
    Task<long> StringIncrementAsync(RedisKey key, long value = 1, CommandFlags flags = CommandFlags.None);
    Task<long> StringDecrementAsync(RedisKey key, long value = 1, CommandFlags flags = CommandFlags.None);

    // keys
    Task<bool> KeyDeleteAsync(RedisKey key, CommandFlags flags = CommandFlags.None);
    Task<long> KeyDeleteAsync(RedisKey[] keys, CommandFlags flags = CommandFlags.None);
    Task<bool> KeyExistsAsync(RedisKey key, CommandFlags flags = CommandFlags.None);
    Task<bool> KeyExpireAsync(RedisKey key, TimeSpan? expiry, CommandFlags flags = CommandFlags.None);
    Task<TimeSpan?> KeyTimeToLiveAsync(RedisKey key, CommandFlags flags = CommandFlags.None);

    // hashes
    Task<bool> HashSetAsync(RedisKey key, RedisValue field, RedisValue value, When when = When.Always, CommandFlags flags = CommandFlags.None);
    Task HashSetAsync(RedisKey key, HashEntry[] entries, CommandFlags flags = CommandFlags.None);
    Task<RedisValue> HashGetAsync(RedisKey key, RedisValue field, CommandFlags flags = CommandFlags.None);
    Task<RedisValue[]> HashGetAsync(RedisKey key, RedisValue[] fields, CommandFlags flags = CommandFlags.None);
    Task<HashEntry[]> HashGetAllAsync(RedisKey key, CommandFlags flags = CommandFlags.None);
    Task<bool> HashDeleteAsync(RedisKey key, RedisValue field, CommandFlags flags = CommandFlags.None);
    Task<long> HashIncrementAsync(RedisKey key, RedisValue field, long value = 1, CommandFlags flags = CommandFlags.None);
    Task<bool> HashExistsAsync(RedisKey key, RedisValue field, CommandFlags flags = CommandFlags.None);
    Task<long> HashLengthAsync(RedisKey key, CommandFlags flags = CommandFlags.None);

    // sets
    Task<bool> SetAddAsync(RedisKey key, RedisValue value, CommandFlags flags = CommandFlags.None);
    Task<long> SetAddAsync(RedisKey key, RedisValue[] values, CommandFlags flags = CommandFlags.None);
    Task<bool> SetRemoveAsync(RedisKey key, RedisValue value, CommandFlags flags = CommandFlags.None);
    Task<RedisValue[]> SetMembersAsync(RedisKey key, CommandFlags flags = CommandFlags.None);
    Task<bool> SetContainsAsync(RedisKey key, RedisValue value, CommandFlags flags = CommandFlags.None);
    Task<long> SetLengthAsync(RedisKey key, CommandFlags flags = CommandFlags.None);

    // sorted sets
    Task<bool> SortedSetAddAsync(RedisKey key, RedisValue member, double score, CommandFlags flags = CommandFlags.None);
    Task<long> SortedSetAddAsync(RedisKey key, SortedSetEntry[] entries, CommandFlags flags = CommandFlags.None);
    Task<bool> SortedSetRemoveAsync(RedisKey key, RedisValue member, CommandFlags flags = CommandFlags.None);
    Task<RedisValue[]> SortedSetRangeByScoreAsync(RedisKey key, double start = double.NegativeInfinity, double stop = double.PositiveInfinity,
        Exclude exclude = Exclude.None, Order order = Order.Ascending, long skip = 0, long take = -1, CommandFlags flags = CommandFlags.None);
    Task<SortedSetEntry[]> SortedSetRangeByScoreWithScoresAsync(RedisKey key, double start = double.NegativeInfinity, double stop = double.PositiveInfinity,
        Exclude exclude = Exclude.None, Order order = Order.Ascending, long skip = 0, long take = -1, CommandFlags flags = CommandFlags.None);
    Task<long> SortedSetRemoveRangeByScoreAsync(RedisKey key, double start, double stop, Exclude exclude = Exclude.None, CommandFlags flags = CommandFlags.None);
    Task<long> SortedSetLengthAsync(RedisKey key, CommandFlags flags = CommandFlags.None);
    Task<double?> SortedSetScoreAsync(RedisKey key, RedisValue member, CommandFlags flags = CommandFlags.None);

    // lists
    Task<long> ListLeftPushAsync(RedisKey key, RedisValue value, CommandFlags flags = CommandFlags.None);
    Task<long> ListRightPushAsync(RedisKey key, RedisValue value, CommandFlags flags = CommandFlags.None);
    Task<RedisValue[]> ListRangeAsync(RedisKey key, long start = 0, long stop = -1, CommandFlags flags = CommandFlags.None);
    Task<long> ListLengthAsync(RedisKey key, CommandFlags flags = CommandFlags.None);

    // pub/sub, scripts, raw
    Task<long> PublishAsync(RedisChannel channel, RedisValue message, CommandFlags flags = CommandFlags.None);
    Task<RedisResult> ScriptEvaluateAsync(RedisScript script, RedisKey[]? keys = null, RedisValue[]? values = null, CommandFlags flags = CommandFlags.None);
    Task<RedisResult> ScriptEvaluateAsync(string script, RedisKey[]? keys = null, RedisValue[]? values = null, CommandFlags flags = CommandFlags.None);
    Task<RedisResult> ExecuteAsync(string command, params object[] args);
    Task<RedisResult> ExecuteAsync(string command, ICollection<object> args, CommandFlags flags = CommandFlags.None);
    Task<TimeSpan> PingAsync(CommandFlags flags = CommandFlags.None);
}

/// <summary>A database of the shared connection.</summary>
public interface IDatabase : IDatabaseAsync
{
    IConnectionMultiplexer Multiplexer { get; }

    /// <summary>WAIT: blocks until <paramref name="replicas"/> replicas acknowledged earlier writes, or the timeout.
    /// Returns how many did.</summary>
    Task<long> WaitAsync(int replicas, TimeSpan timeout, CommandFlags flags = CommandFlags.None);

    /// <summary>Iterates keys with SCAN (never KEYS).</summary>
    IAsyncEnumerable<RedisKey> KeyScanAsync(RedisValue pattern = default, int pageSize = 250, CommandFlags flags = CommandFlags.None);

    /// <summary>Commands queued until <see cref="IBatch.Execute"/>, then sent in one write.</summary>
    IBatch CreateBatch();

    /// <summary>MULTI/EXEC.</summary>
    ITransaction CreateTransaction();
}

public interface IBatch : IDatabaseAsync
{
    void Execute();
}

public interface ITransaction : IBatch
{
    /// <summary>Sends MULTI, the queued commands and EXEC in one write; false when the transaction was aborted.</summary>
    Task<bool> ExecuteAsync(CommandFlags flags = CommandFlags.None);
}
