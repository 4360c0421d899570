using System.Runtime.CompilerServices;
using Platform.Redis.Protocol;

namespace Platform.Redis.Internal;

internal sealed class RedisDatabase(ConnectionMultiplexer multiplexer, int database) : RedisCommands, IDatabase
{
    public override int Database { get; } = database;

    public IConnectionMultiplexer Multiplexer => multiplexer;

    internal ConnectionMultiplexer Owner => multiplexer;

    protected override Task<T> Send<T>(in CommandArgs args, ResultProcessor<T> processor, CommandFlags flags) =>
        multiplexer.Interactive.ExecuteAsync(args, processor, Database, flags);

    public override async Task<RedisResult> ScriptEvaluateAsync(RedisScript script, RedisKey[]? keys = null, RedisValue[]? values = null,
        CommandFlags flags = CommandFlags.None)
    {
        ArgumentNullException.ThrowIfNull(script);
        try
        {
            return await Send(ScriptArgs(Cmd.EvalSha, script.Sha1, keys, values), Processors.Result, flags).ConfigureAwait(false);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            // The server (restarted, or promoted after a failover) does not have it: EVAL runs it and caches it.
            return await Send(ScriptArgs(Cmd.Eval, script.Lua, keys, values), Processors.Result, flags).ConfigureAwait(false);
        }
    }

    public Task<long> WaitAsync(int replicas, TimeSpan timeout, CommandFlags flags = CommandFlags.None) =>
        Send(new CommandArgs(Cmd.Wait, replicas, (long)timeout.TotalMilliseconds), Processors.Int64, flags);

    public async IAsyncEnumerable<RedisKey> KeyScanAsync(RedisValue pattern = default, int pageSize = 250, CommandFlags flags = CommandFlags.None,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        long cursor = 0;
        do
        {
            var args = new CommandArgs(Cmd.Scan, cursor, "COUNT", pageSize);
            if (!pattern.IsNullOrEmpty)
            {
                args = args.Add("MATCH").Add(pattern);
            }

            var (next, items) = await Send(args, Processors.Scan, flags).ConfigureAwait(false);
            foreach (var item in items)
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return (byte[]?)item;
            }

            cursor = next;
        }
        while (cursor != 0);
    }

    IAsyncEnumerable<RedisKey> IDatabase.KeyScanAsync(RedisValue pattern, int pageSize, CommandFlags flags) => KeyScanAsync(pattern, pageSize, flags);

    public IBatch CreateBatch() => new RedisBatch(this);

    public ITransaction CreateTransaction() => new RedisTransaction(this);
}
