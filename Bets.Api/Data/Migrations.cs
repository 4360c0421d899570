using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Bets.Api.Data;

/// <summary>One numbered step of the schema: applied once, in order, in a transaction of its own.</summary>
public sealed record Migration(int Version, string Description, string Sql);

/// <summary>What <see cref="BetsDatabase.MigrateAsync(CancellationToken)"/> found and left: schema versions of the file.</summary>
public readonly record struct MigrationResult(int From, int To);

/// <summary>
/// The schema of the betting database as numbered migrations. The file's <c>PRAGMA user_version</c> is the number of
/// the last one applied; a new schema change is a new entry at the end, never an edit of an applied one.
/// </summary>
public static class Migrations
{
    public static IReadOnlyList<Migration> All { get; } =
    [
        new(1, "wallets, append-only ledger, bets, cell exposure, idempotency records", V1),
    ];

    public static int Latest => All[^1].Version;

    private const string V1 = """
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
        -- Σ(potential_payout - stake) of the open bets of each cell, kept with every placement and settlement.
        CREATE TABLE IF NOT EXISTS cell_exposure (
            cell        TEXT PRIMARY KEY,
            exposure    INTEGER NOT NULL CHECK (exposure >= 0)
        );
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

/// <summary>The file was written by a newer Bets.Api than this one: starting on it could misread or damage its data.</summary>
public sealed class SchemaTooNewException(string dataSource, int version, int latest) : InvalidOperationException(
    $"The betting database {dataSource} is at schema version {version}, but this Bets.Api knows versions up to {latest}: " +
    "it was written by a newer release. Refusing to start; run that release (or newer) against this file.")
{
    public int Version { get; } = version;
    public int Latest { get; } = latest;
}

public sealed partial class BetsDatabase
{
    /// <summary>Brings the file to <see cref="Migrations.Latest"/>.</summary>
    public Task<MigrationResult> MigrateAsync(CancellationToken ct = default) => MigrateAsync(Migrations.All, ct);

    /// <summary>
    /// Applies the migrations the file has not had yet, each in one BEGIN IMMEDIATE transaction together with its
    /// <c>user_version</c>, so a crash leaves the file at a version it fully has and instances that start together
    /// take turns (each re-reads the version under the lock). A file made by the unversioned schema of earlier
    /// releases (user_version 0, tables present) is that schema: version 1. A version above the last known one is
    /// refused with <see cref="SchemaTooNewException"/>.
    /// </summary>
    public async Task<MigrationResult> MigrateAsync(IReadOnlyList<Migration> migrations, CancellationToken ct = default)
    {
        for (var i = 0; i < migrations.Count; i++)
        {
            if (migrations[i].Version != i + 1)
            {
                throw new ArgumentException("migrations are numbered 1, 2, 3… in order", nameof(migrations));
            }
        }
        var dir = Path.GetDirectoryName(Path.GetFullPath(DataSource));
        if (!string.IsNullOrEmpty(dir))
        {
            Directory.CreateDirectory(dir);
        }

        await using var connection = await OpenAsync(ct);
        Execute(connection, null, "PRAGMA journal_mode = WAL;");
        var latest = migrations.Count;
        int? from = null;
        var version = 0;
        foreach (var migration in migrations)
        {
            // Microsoft.Data.Sqlite begins IMMEDIATE unless asked for a deferred transaction: the write lock up front.
            await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
            version = VersionOf(connection, tx);
            from ??= version;
            if (version > latest)
            {
                throw new SchemaTooNewException(DataSource, version, latest);
            }

            if (version < migration.Version)
            {
                Execute(connection, tx, migration.Sql);
                Execute(connection, tx, string.Create(CultureInfo.InvariantCulture, $"PRAGMA user_version = {migration.Version};"));
                version = migration.Version;
            }
            await tx.CommitAsync(ct);
        }
        return new MigrationResult(from ?? 0, version);
    }

    private static int VersionOf(SqliteConnection connection, SqliteTransaction tx)
    {
        var version = Convert.ToInt32(Scalar(connection, tx, "PRAGMA user_version;"), CultureInfo.InvariantCulture);
        if (version != 0)
        {
            return version;
        }
        // Releases before versioned migrations created the same tables as version 1 and left user_version at 0.
        var legacy = Convert.ToInt64(Scalar(connection, tx, "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = 'wallets';"), CultureInfo.InvariantCulture) > 0;
        if (!legacy)
        {
            return 0;
        }

        Execute(connection, tx, "PRAGMA user_version = 1;");
        return 1;
    }

    private static object? Scalar(SqliteConnection connection, SqliteTransaction tx, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction? tx, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
