using Microsoft.Data.Sqlite;

namespace Bets.Api.Data;

public sealed partial class BetsDatabase
{
    /// <summary>
    /// Runs one read on a kept reader connection with its compiled statement for <paramref name="sql"/> (hot-path reads
    /// such as the idempotency pre-check). <paramref name="read"/> must dispose any reader it opens: an idle reader
    /// connection then holds no snapshot and never holds back a checkpoint.
    /// </summary>
    internal async Task<T> ReadAsync<T>(string sql, Func<SqliteCommand, T> read, CancellationToken ct = default)
    {
        if (!_readers.TryTake(out var reader))
        {
            reader = new KeptReader(await OpenAsync(ct));
        }

        var healthy = false;
        try
        {
            var result = read(reader.Statement(sql));
            healthy = true;
            return result;
        }
        finally
        {
            if (healthy && _readers.Count < MaxKeptReaders && !_stopping.IsCancellationRequested)
            {
                _readers.Add(reader);
            }
            else
            {
                reader.Dispose();
            }
            // Dispose may have drained the pool between the check and the Add.
            if (_stopping.IsCancellationRequested)
            {
                DisposeReaders();
            }
        }
    }

    private sealed class KeptReader(SqliteConnection connection) : IDisposable
    {
        private readonly Dictionary<string, SqliteCommand> _statements = new(StringComparer.Ordinal);

        public SqliteCommand Statement(string sql)
        {
            if (!_statements.TryGetValue(sql, out var command))
            {
                command = connection.CreateCommand();
                command.CommandText = sql;
                _statements.Add(sql, command);
            }
            return command;
        }

        public void Dispose()
        {
            foreach (var command in _statements.Values)
            {
                command.Dispose();
            }

            connection.Dispose();
        }
    }

    private void DisposeReaders()
    {
        while (_readers.TryTake(out var reader))
        {
            reader.Dispose();
        }
    }

    private const int MaxKeptReaders = 16;
    private readonly System.Collections.Concurrent.ConcurrentBag<KeptReader> _readers = [];
}
