using System.Data;
using System.Diagnostics;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Bets.Api.Data;

/// <summary>
/// The SQLite store: one file, WAL, integer minor units. Every write runs in a <c>BEGIN IMMEDIATE</c> transaction so the
/// write lock is taken up front (no deadlocking lock upgrades) and concurrent writers queue on the busy timeout.
/// </summary>
public sealed partial class BetsDatabase : IDisposable
{
    // Named as the application: ServiceDefaults exports the application's own source.
    private static readonly ActivitySource Telemetry = new(typeof(BetsDatabase).Assembly.GetName().Name!);
    private readonly string _connectionString;
    private readonly string _fileName;
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<object, object> _configured = new();

    public BetsDatabase(string connectionString)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString)
        {
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        };
        _connectionString = builder.ToString();
        DataSource = builder.DataSource;
        _fileName = Path.GetFileName(builder.DataSource);
    }

    public string DataSource { get; }

    public async Task<SqliteConnection> OpenAsync(CancellationToken ct = default)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(ct);
        // Pooled connections keep their settings: configure each physical connection once.
        if (!_configured.TryGetValue(connection.Handle!, out _))
        {
            // busy_timeout makes a second process wait for the write lock instead of failing at once; NORMAL is
            // durable across application crashes in WAL mode (an OS crash may lose the last commits, never corrupt).
            await connection.ExecuteAsync("PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;");
            _configured.AddOrUpdate(connection.Handle!, this);
        }
        return connection;
    }

    /// <summary>
    /// Runs <paramref name="work"/> in a BEGIN IMMEDIATE transaction and returns once it is committed; if the work
    /// throws, none of its writes are kept. Concurrent calls are group-committed: one writer takes every queued unit,
    /// runs each inside its own SAVEPOINT (a failing unit rolls back alone) and commits them together, so the page
    /// writes and the commit are shared. No caller sees its result before the COMMIT that makes it durable.
    /// </summary>
    public async Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> work, CancellationToken ct = default)
    {
        EnsureWriter();
        // Microsoft.Data.Sqlite traces nothing: this span is the request's time in the database, from the queue to the
        // COMMIT its unit shared with others.
        using var span = Telemetry.StartActivity($"transaction {_fileName}", ActivityKind.Client);
        span?.SetTag("db.system.name", "sqlite").SetTag("db.namespace", _fileName).SetTag("db.operation.name", "transaction");
        var unit = new WorkUnit<T>(work);
        if (!_queue.Writer.TryWrite(unit))
        {
            throw new ObjectDisposedException(nameof(BetsDatabase));
        }
        // Cancelling abandons the wait only: the unit may still commit (a retry with the same Idempotency-Key replays it).
        return await unit.Completion.Task.WaitAsync(ct);
    }

    private void EnsureWriter()
    {
        if (_writer is not null)
        {
            return;
        }

        lock (_queue)
        {
            if (_writer is null)
            {
                _checkpointer = new Thread(CheckpointLoop) { IsBackground = true, Name = "SQLite checkpoints" };
                _checkpointer.Start();
                var writer = new Thread(WriterLoop) { IsBackground = true, Name = "SQLite writer" };
                writer.Start();
                _writer = writer;
            }
        }
    }

    /// <summary>
    /// A command on the writer's own connection whose compiled statement is kept and reused across units and batches
    /// (no re-parse per execution). Only for work running inside <see cref="WriteAsync{T}"/>, which is single-threaded.
    /// </summary>
    internal SqliteCommand Statement(SqliteTransaction tx, string sql)
    {
        if (_writerConnection is null || !ReferenceEquals(tx.Connection, _writerConnection))
        {
            throw new InvalidOperationException("cached statements belong to the writer connection; use them inside WriteAsync only");
        }
        if (!_statements.TryGetValue(sql, out var command))
        {
            command = _writerConnection.CreateCommand();
            command.CommandText = sql;
            _statements.Add(sql, command);
        }
        command.Transaction = tx;
        return command;
    }

    // A dedicated thread, not the thread pool: SQLite calls are synchronous and the writer is busy most of the time
    // under load, and fsyncs block; on a pool thread that starved request processing until the pool grew.
    private void WriterLoop()
    {
        var batch = new List<IWorkUnit>(MaxBatch);
        try
        {
            while (_queue.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                batch.Clear();
                while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var unit))
                {
                    batch.Add(unit);
                }

                try
                {
                    // One connection for the writer's lifetime, so its cached statements stay compiled.
                    var connection = _writerConnection ??= OpenWriter();
                    // Microsoft.Data.Sqlite issues BEGIN IMMEDIATE for a Serializable, non-deferred transaction (the default
                    // for Serializable): the write lock is taken here, not at the first write, so no lock upgrade can deadlock.
                    using var tx = connection.BeginTransaction(IsolationLevel.Serializable);
                    foreach (var unit in batch)
                    {
                        Statement(tx, "SAVEPOINT unit").ExecuteNonQuery();
                        try
                        {
                            unit.RunAsync(connection, tx).GetAwaiter().GetResult();
                            Statement(tx, "RELEASE unit").ExecuteNonQuery();
                        }
                        catch (Exception e) when (e is not SqliteException { SqliteErrorCode: 5 or 6 or 10 or 13 })
                        {
                            Statement(tx, "ROLLBACK TO unit").ExecuteNonQuery();
                            Statement(tx, "RELEASE unit").ExecuteNonQuery();
                            unit.Failed = e;
                        }
                    }
                    tx.Commit();
                    Volatile.Write(ref _uncheckpointed, 1);
                    foreach (var unit in batch)
                    {
                        unit.Publish();
                    }
                }
                catch (Exception e)
                {
                    // BEGIN or COMMIT failed (busy, I/O, disk full): nothing of the batch was kept. Start the next batch
                    // on a fresh connection rather than trust one whose transaction state is unknown.
                    CloseWriterConnection();
                    foreach (var unit in batch)
                    {
                        unit.Fail(e);
                    }
                }
            }
        }
        finally
        {
            CloseWriterConnection();
        }
    }

    private SqliteConnection OpenWriter()
    {
        var connection = OpenAsync().GetAwaiter().GetResult();
        // The checkpoint (copying the WAL back into the database, with fsyncs) runs on its own connection in
        // CheckpointLoop, not inside the writer's COMMIT where it stalled every queued placement.
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_autocheckpoint = 0";
        command.ExecuteNonQuery();
        return connection;
    }

    /// <summary>PASSIVE checkpoints (they never block the writer or readers) while there are new commits; its own thread, as fsyncs block.</summary>
    private void CheckpointLoop()
    {
        while (!_stopping.Token.WaitHandle.WaitOne(CheckpointInterval))
        {
            if (Interlocked.Exchange(ref _uncheckpointed, 0) == 0)
            {
                continue;
            }

            try
            {
                using var connection = OpenAsync().GetAwaiter().GetResult();
                using var command = connection.CreateCommand();
                command.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
                command.ExecuteNonQuery();
            }
            catch (SqliteException)
            {
                Volatile.Write(ref _uncheckpointed, 1); // try again next tick; the WAL only grows meanwhile
            }
        }
    }

    private void CloseWriterConnection()
    {
        foreach (var command in _statements.Values)
        {
            command.Dispose();
        }

        _statements.Clear();
        _writerConnection?.Dispose();
        _writerConnection = null;
    }

    private const int MaxBatch = 128;
    private readonly System.Threading.Channels.Channel<IWorkUnit> _queue =
        System.Threading.Channels.Channel.CreateUnbounded<IWorkUnit>(new() { SingleReader = true });
    private volatile Thread? _writer;
    private Thread? _checkpointer;
    private int _uncheckpointed;
    private readonly CancellationTokenSource _stopping = new();
    private static readonly TimeSpan CheckpointInterval = TimeSpan.FromSeconds(1);
    private SqliteConnection? _writerConnection; // touched by the writer loop only
    private readonly Dictionary<string, SqliteCommand> _statements = new(StringComparer.Ordinal);

    private interface IWorkUnit
    {
        Exception? Failed { get; set; }
        Task RunAsync(SqliteConnection connection, SqliteTransaction tx);
        void Publish();
        void Fail(Exception e);
    }

    private sealed class WorkUnit<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> work) : IWorkUnit
    {
        private T? _result;
        public TaskCompletionSource<T> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public Exception? Failed { get; set; }
        public async Task RunAsync(SqliteConnection connection, SqliteTransaction tx) => _result = await work(connection, tx);
        public void Publish()
        {
            if (Failed is not null)
            {
                Completion.TrySetException(Failed);
            }
            else
            {
                Completion.TrySetResult(_result!);
            }
        }
        public void Fail(Exception e) => Completion.TrySetException(e);
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        // Let queued units finish and the writer close its connection, so the file is released when Dispose returns.
        _writer?.Join(TimeSpan.FromSeconds(10));
        _stopping.Cancel();
        _checkpointer?.Join(TimeSpan.FromSeconds(10));
        DisposeReaders();
        _stopping.Dispose();
    }
}

internal static class SqliteCommandExtensions
{
    /// <summary>Sets a parameter of a reused command (added on first use, its value replaced after).</summary>
    public static SqliteCommand With(this SqliteCommand command, string name, object? value)
    {
        var parameters = command.Parameters;
        var index = parameters.IndexOf(name);
        if (index < 0)
        {
            parameters.AddWithValue(name, value ?? DBNull.Value);
        }
        else
        {
            parameters[index].Value = value ?? DBNull.Value;
        }

        return command;
    }

    /// <summary>The first column of the first row, or null when there is no row (RETURNING that matched nothing).</summary>
    public static long? ScalarOrNull(this SqliteCommand command) => command.ExecuteScalar() is long value ? value : null;
}
