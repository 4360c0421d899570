using Npgsql;

namespace Sync.Api.Data;

/// <summary>
/// Applies the schema at start. Each step runs once, in order, recorded in <c>sync_schema</c>; an advisory lock makes
/// replicas that start together take turns, and every statement is idempotent besides.
/// </summary>
internal sealed partial class Migrations(NpgsqlDataSource dataSource, ILogger<Migrations> logger, TimeProvider time) : IHostedService
{
    private const long LockKey = 0x5359_4E43; // "SYNC"

    private static readonly string[] Steps =
    [
        """
        CREATE TABLE IF NOT EXISTS sync_settings (key text PRIMARY KEY, value text NOT NULL);
        CREATE TABLE IF NOT EXISTS users (
            id uuid PRIMARY KEY, display_name text NOT NULL, created_at timestamptz NOT NULL);
        CREATE TABLE IF NOT EXISTS sessions (
            id uuid PRIMARY KEY, user_id uuid NOT NULL REFERENCES users(id), created_at timestamptz NOT NULL,
            expires_at timestamptz NOT NULL, revoked boolean NOT NULL DEFAULT false);
        CREATE TABLE IF NOT EXISTS rooms (
            id text PRIMARY KEY, name text NOT NULL, created_by uuid NOT NULL REFERENCES users(id),
            created_at timestamptz NOT NULL, password_hash text NULL,
            perm_control smallint NOT NULL DEFAULT 0, perm_queue smallint NOT NULL DEFAULT 0,
            perm_chat smallint NOT NULL DEFAULT 0, timeline jsonb NULL, timeline_seq bigint NOT NULL DEFAULT 0);
        CREATE TABLE IF NOT EXISTS members (
            room_id text NOT NULL REFERENCES rooms(id) ON DELETE CASCADE, user_id uuid NOT NULL REFERENCES users(id),
            role smallint NOT NULL, joined_at timestamptz NOT NULL, PRIMARY KEY (room_id, user_id));
        CREATE TABLE IF NOT EXISTS queue_items (
            id bigserial PRIMARY KEY, room_id text NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
            ord double precision NOT NULL, url text NOT NULL, title text NULL, duration_ms bigint NULL,
            added_by uuid NOT NULL, added_at timestamptz NOT NULL);
        CREATE INDEX IF NOT EXISTS queue_items_room ON queue_items (room_id, ord);
        CREATE TABLE IF NOT EXISTS chat_messages (
            id bigserial PRIMARY KEY, room_id text NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
            user_id uuid NOT NULL, display_name text NOT NULL, text text NOT NULL, sent_at timestamptz NOT NULL);
        CREATE INDEX IF NOT EXISTS chat_messages_room ON chat_messages (room_id, id DESC);
        """,
    ];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Sync.Api starts beside PostgreSQL, not after it (as a pod does): until the server answers and the AppHost
        // has created the database, retry for a while.
        var deadline = time.GetUtcNow() + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                await ApplyAsync(cancellationToken);
                return;
            }
            catch (NpgsqlException ex) when (time.GetUtcNow() < deadline && (ex.IsTransient || IsDatabaseMissing(ex)))
            {
                LogRetry(logger, ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), time, cancellationToken);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static bool IsDatabaseMissing(NpgsqlException ex) => ex is PostgresException { SqlState: PostgresErrorCodes.InvalidCatalogName };

    private async Task ApplyAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await Exec(connection, $"SELECT pg_advisory_xact_lock({LockKey})", ct);
        await Exec(connection, "CREATE TABLE IF NOT EXISTS sync_schema (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())", ct);
        await using var read = new NpgsqlCommand("SELECT coalesce(max(version), 0) FROM sync_schema", connection);
        var applied = Convert.ToInt32(await read.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
        for (var version = applied + 1; version <= Steps.Length; version++)
        {
            await Exec(connection, Steps[version - 1], ct);
            await Exec(connection, $"INSERT INTO sync_schema (version) VALUES ({version})", ct);
            LogApplied(logger, version);
        }

        await tx.CommitAsync(ct);
    }

    private static async Task Exec(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    [LoggerMessage(LogLevel.Information, "Applied syncdb schema version {Version}")]
    private static partial void LogApplied(ILogger logger, int version);

    [LoggerMessage(LogLevel.Information, "The database is not reachable yet, retrying the schema migration: {Reason}")]
    private static partial void LogRetry(ILogger logger, string reason);
}
