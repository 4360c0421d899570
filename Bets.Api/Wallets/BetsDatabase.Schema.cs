using Dapper;

namespace Bets.Api.Wallets;

public sealed partial class BetsDatabase
{
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
