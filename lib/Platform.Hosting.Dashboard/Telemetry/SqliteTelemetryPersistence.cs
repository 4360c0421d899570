using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace Platform.Hosting.Dashboard.Telemetry;

/// <summary>
/// Keeps telemetry in a SQLite file so it survives an AppHost restart. Batches are written by one background writer in
/// one transaction each (ingestion never waits on the disk), pruned to the same per-resource limits as memory, and
/// the newest rows are loaded back at start.
/// </summary>
internal sealed class SqliteTelemetryPersistence : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly SqliteConnection _connection;
    private readonly TelemetryStoreOptions _options;
    private readonly Channel<TelemetryBatch> _pending = Channel.CreateBounded<TelemetryBatch>(
        new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
    private readonly Task _writer;
    private int _writesSincePrune;

    private SqliteTelemetryPersistence(SqliteConnection connection, TelemetryStoreOptions options)
    {
        _connection = connection;
        _options = options;
        _writer = Task.Run(WriteLoopAsync);
    }

    public static SqliteTelemetryPersistence Open(string path, TelemetryStoreOptions options)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        Execute(connection, """
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = NORMAL;
            CREATE TABLE IF NOT EXISTS spans (id INTEGER PRIMARY KEY, resource TEXT NOT NULL, body TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS logs (id INTEGER PRIMARY KEY, resource TEXT NOT NULL, body TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS points (id INTEGER PRIMARY KEY, resource TEXT NOT NULL, body TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS spans_by_resource ON spans (resource, id);
            CREATE INDEX IF NOT EXISTS logs_by_resource ON logs (resource, id);
            CREATE INDEX IF NOT EXISTS points_by_resource ON points (resource, id);
            """);
        return new SqliteTelemetryPersistence(connection, options);
    }

    public void Attach(TelemetryStore store) => store.Stored = batch => _pending.Writer.TryWrite(batch);

    /// <summary>Loads the newest rows of every resource, oldest first, without notifying the pages.</summary>
    public void LoadInto(TelemetryStore store)
    {
        var batch = new TelemetryBatch();
        batch.Spans.AddRange(Load<SpanData>("spans", _options.MaxSpansPerResource));
        batch.Logs.AddRange(Load<LogData>("logs", _options.MaxLogsPerResource));
        // Points are bounded per series in memory; loading a generous number per resource refills the charts.
        batch.Points.AddRange(Load<MetricPoint>("points", _options.MaxPointsPerSeries * 50));
        store.Add(batch, notify: false);
    }

    private List<T> Load<T>(string table, int perResource)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = $"""
            SELECT body FROM (
              SELECT id, body, ROW_NUMBER() OVER (PARTITION BY resource ORDER BY id DESC) AS n FROM {table})
            WHERE n <= $max ORDER BY id
            """;
        command.Parameters.AddWithValue("$max", perResource);
        using var reader = command.ExecuteReader();
        var result = new List<T>();
        while (reader.Read())
        {
            if (JsonSerializer.Deserialize<T>(reader.GetString(0), Json) is { } item)
            {
                result.Add(item);
            }
        }

        return result;
    }

    private async Task WriteLoopAsync()
    {
        while (await _pending.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            WriteQueued();
        }
    }

    // Microsoft.Data.Sqlite is synchronous underneath; the writer owns its own thread-pool work item.
    private void WriteQueued()
    {
        {
            using var transaction = _connection.BeginTransaction();
            var written = 0;
            while (written < 200 && _pending.Reader.TryRead(out var batch))
            {
                Insert(transaction, "spans", batch.Spans, s => s.Service);
                Insert(transaction, "logs", batch.Logs, l => l.Service);
                Insert(transaction, "points", batch.Points, p => p.Service);
                written++;
            }

            if ((_writesSincePrune += written) >= 100)
            {
                _writesSincePrune = 0;
                Prune(transaction, "spans", _options.MaxSpansPerResource);
                Prune(transaction, "logs", _options.MaxLogsPerResource);
                Prune(transaction, "points", _options.MaxPointsPerSeries * 50);
            }

            transaction.Commit();
        }
    }

    private void Insert<T>(SqliteTransaction transaction, string table, List<T> items, Func<T, string> resource)
    {
        if (items.Count == 0)
        {
            return;
        }

        using var command = _connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"INSERT INTO {table} (resource, body) VALUES ($resource, $body)";
        var resourceParameter = command.Parameters.Add("$resource", SqliteType.Text);
        var bodyParameter = command.Parameters.Add("$body", SqliteType.Text);
        foreach (var item in items)
        {
            resourceParameter.Value = resource(item);
            bodyParameter.Value = JsonSerializer.Serialize(item, Json);
            command.ExecuteNonQuery();
        }
    }

    private void Prune(SqliteTransaction transaction, string table, int perResource)
    {
        using var command = _connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"""
            DELETE FROM {table} WHERE id IN (
              SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY resource ORDER BY id DESC) AS n FROM {table})
              WHERE n > $max)
            """;
        command.Parameters.AddWithValue("$max", perResource);
        command.ExecuteNonQuery();
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>Writes what is still queued, then closes the file.</summary>
    public void Dispose()
    {
        _pending.Writer.TryComplete();
        _writer.Wait(TimeSpan.FromSeconds(10));
        _connection.Dispose();
    }
}
