using System.Diagnostics;
using Platform.Redis.Protocol;

namespace Platform.Redis.Internal;

/// <summary>Queues commands and writes them together, so no other caller's command lands between them.</summary>
internal class RedisBatch(RedisDatabase database) : RedisCommands, IBatch
{
    private readonly Lock _lock = new();
    private List<(CommandArgs Args, IPendingMessage Message)> _queued = [];

    public override int Database => database.Database;

    protected RedisDatabase Owner => database;

    protected override Task<T> Send<T>(in CommandArgs args, ResultProcessor<T> processor, CommandFlags flags)
    {
        var message = new PendingMessage<T>(args.Name.Text, processor, database.Owner.Options.EffectiveAsyncTimeout);
        lock (_lock)
        {
            _queued.Add((args, message));
        }

        return message.Task;
    }

    // Inside a batch there is no second round trip to retry with, so scripts go as EVAL.
    public override Task<RedisResult> ScriptEvaluateAsync(RedisScript script, RedisKey[]? keys = null, RedisValue[]? values = null, CommandFlags flags = CommandFlags.None) =>
        ScriptEvaluateAsync(script.Lua, keys, values, flags);

    protected (CommandArgs Args, IPendingMessage Message)[] TakeQueued()
    {
        lock (_lock)
        {
            var items = _queued.ToArray();
            _queued = [];
            return items;
        }
    }

    public void Execute()
    {
        var items = TakeQueued();
        if (items.Length > 0)
        {
            _ = database.Owner.Interactive.WriteManyAsync(items, Database, Deadline());
        }
    }

    protected long Deadline() =>
        Stopwatch.GetTimestamp() + (database.Owner.Options.EffectiveAsyncTimeout * Stopwatch.Frequency / 1000);
}

internal sealed class RedisTransaction(RedisDatabase database) : RedisBatch(database), ITransaction
{
    public async Task<bool> ExecuteAsync(CommandFlags flags = CommandFlags.None)
    {
        var queued = TakeQueued();
        var timeout = Owner.Owner.Options.EffectiveAsyncTimeout;
        var all = new (CommandArgs, IPendingMessage)[queued.Length + 2];
        all[0] = (new CommandArgs(Cmd.Multi), new PendingMessage<bool>("MULTI", Processors.Ok, timeout) { Unobserved = true });
        for (var i = 0; i < queued.Length; i++)
        {
            all[i + 1] = (queued[i].Args, new QueuedMessage(queued[i].Message));
        }

        var exec = new ExecMessage(Array.ConvertAll(queued, q => q.Message), timeout);
        all[^1] = (new CommandArgs(Cmd.Exec), exec);
        await Owner.Owner.Interactive.WriteManyAsync(all, Database, Deadline()).ConfigureAwait(false);
        return await exec.Task.ConfigureAwait(false);
    }

    /// <summary>The +QUEUED reply of a command inside MULTI; an error here is the command's own error.</summary>
    private sealed class QueuedMessage(IPendingMessage inner) : IPendingMessage
    {
        public string CommandName => inner.CommandName;

        public long StartTimestamp => inner.StartTimestamp;

        public long Deadline => inner.Deadline;

        public bool IsCompleted => inner.IsCompleted;

        public void Complete(ref RespReader reader)
        {
            var t = reader.ReadValueToken();
            if (t.IsError)
            {
                inner.Fail(new RedisServerException(t.PayloadString()));
            }
        }

        public void Fail(Exception exception) => inner.Fail(exception);
    }

    /// <summary>EXEC's array carries the queued commands' replies, handed out one slice each.</summary>
    private sealed class ExecMessage(IPendingMessage[] inner, int timeoutMs) : TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously), IPendingMessage
    {
        public string CommandName => "EXEC";

        public long StartTimestamp { get; } = Stopwatch.GetTimestamp();

        public long Deadline => StartTimestamp + (timeoutMs * Stopwatch.Frequency / 1000);

        public bool IsCompleted => Task.IsCompleted;

        public void Complete(ref RespReader reader)
        {
            var t = reader.ReadValueToken();
            if (t.IsError)
            {
                Fail(new RedisServerException(t.PayloadString()));
                return;
            }

            if (t.IsNull)
            {
                foreach (var m in inner)
                {
                    m.Fail(new TaskCanceledException("the transaction was aborted"));
                }

                TrySetResult(false);
                return;
            }

            for (var i = 0; i < t.ChildCount; i++)
            {
                var start = reader.Position;
                reader.Skip();
                if (i < inner.Length)
                {
                    var slice = new RespReader(reader.Sequence.Slice(start, reader.Position));
                    inner[i].Complete(ref slice);
                }
            }

            TrySetResult(true);
        }

        public void Fail(Exception exception)
        {
            foreach (var m in inner)
            {
                m.Fail(exception);
            }

            TrySetException(exception);
        }
    }
}
