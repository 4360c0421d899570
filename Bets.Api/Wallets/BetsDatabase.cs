using System.Data;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Bets.Api.Wallets;

/// <summary>
/// The SQLite store: one file, WAL, integer minor units. Every write runs in a <c>BEGIN IMMEDIATE</c> transaction so the
/// write lock is taken up front (no deadlocking lock upgrades) and concurrent writers queue on the busy timeout.
/// </summary>
public sealed class BetsDatabase : IDisposable
{
    private readonly string _connectionString;
    // Writers of this process queue here rather than spinning on SQLITE_BUSY; other processes still meet the busy timeout.
    private readonly SemaphoreSlim _writeGate = new(1, 1);

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
    }

    public string DataSource { get; }

    public async Task<SqliteConnection> OpenAsync(CancellationToken ct = default)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(ct).ConfigureAwait(false);
        // busy_timeout makes a second process wait for the write lock instead of failing at once.
        await connection.ExecuteAsync("PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;").ConfigureAwait(false);
        return connection;
    }

    /// <summary>Runs <paramref name="work"/> in a BEGIN IMMEDIATE transaction; commits unless it throws.</summary>
    public async Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> work, CancellationToken ct = default)
    {
        await _writeGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await using var connection = await OpenAsync(ct).ConfigureAwait(false);
            // Microsoft.Data.Sqlite issues BEGIN IMMEDIATE for a Serializable, non-deferred transaction (the default for
            // Serializable): the write lock is taken here, not at the first write, so no lock upgrade can deadlock.
            await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(IsolationLevel.Serializable, ct).ConfigureAwait(false);
            var result = await work(connection, tx).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
            return result;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    public void Dispose() => _writeGate.Dispose();

    public async Task MigrateAsync(CancellationToken ct = default)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(DataSource));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        await connection.ExecuteAsync("PRAGMA journal_mode = WAL;").ConfigureAwait(false);
        await connection.ExecuteAsync(Schema).ConfigureAwait(false);
    }

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS wallets (
            wallet          TEXT PRIMARY KEY,
            balance         INTEGER NOT NULL DEFAULT 0 CHECK (balance >= 0),
            daily_limit     INTEGER NULL CHECK (daily_limit IS NULL OR daily_limit >= 0),
            excluded_until  INTEGER NULL,
            created_at      INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS ledger (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            wallet      TEXT NOT NULL REFERENCES wallets(wallet),
            amount      INTEGER NOT NULL,
            kind        TEXT NOT NULL CHECK (kind IN ('faucet', 'stake', 'payout', 'refund')),
            bet_id      TEXT NULL,
            balance_after INTEGER NOT NULL,
            created_at  INTEGER NOT NULL
        );
        -- One stake, one payout or refund per bet, whatever the number of resolver instances.
        CREATE UNIQUE INDEX IF NOT EXISTS ledger_bet_kind ON ledger(bet_id, kind) WHERE bet_id IS NOT NULL;
        CREATE INDEX IF NOT EXISTS ledger_wallet ON ledger(wallet, id);
        CREATE TRIGGER IF NOT EXISTS ledger_no_update BEFORE UPDATE ON ledger BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
        CREATE TRIGGER IF NOT EXISTS ledger_no_delete BEFORE DELETE ON ledger BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
        CREATE TABLE IF NOT EXISTS bets (
            id              TEXT PRIMARY KEY,
            wallet          TEXT NOT NULL REFERENCES wallets(wallet),
            cell            TEXT NOT NULL,
            band_index      INTEGER NOT NULL,
            price_low       TEXT NOT NULL,
            price_high      TEXT NOT NULL,
            window_start    INTEGER NOT NULL,
            window_end      INTEGER NOT NULL,
            stake           INTEGER NOT NULL CHECK (stake > 0),
            multiplier_bp   INTEGER NOT NULL,
            potential_payout INTEGER NOT NULL,
            probability     REAL NOT NULL,
            price_at_placement TEXT NOT NULL,
            status          TEXT NOT NULL CHECK (status IN ('open', 'won', 'lost', 'void')),
            payout          INTEGER NULL,
            evidence        TEXT NULL,
            created_at      INTEGER NOT NULL,
            resolved_at     INTEGER NULL
        );
        CREATE INDEX IF NOT EXISTS bets_open ON bets(status, window_end);
        CREATE INDEX IF NOT EXISTS bets_wallet ON bets(wallet, created_at);
        CREATE INDEX IF NOT EXISTS bets_cell ON bets(cell, status);
        CREATE TABLE IF NOT EXISTS idempotency (
            wallet          TEXT NOT NULL,
            key             TEXT NOT NULL,
            fingerprint     TEXT NOT NULL,
            status_code     INTEGER NOT NULL,
            content_type    TEXT NOT NULL,
            body            TEXT NOT NULL,
            created_at      INTEGER NOT NULL,
            PRIMARY KEY (wallet, key)
        );
        """;
}
