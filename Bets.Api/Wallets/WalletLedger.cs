using Bets.Api.Data;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Bets.Api.Wallets;

public sealed record WalletState(string Wallet, long Balance, long? DailyLimit, long? ExcludedUntil);

public sealed record LedgerEntry(long Id, long Amount, string Kind, string? BetId, long BalanceAfter, long CreatedAt);

/// <summary>
/// Balances and the append-only ledger: the only code that reads or writes the <c>wallets</c> and <c>ledger</c> tables.
/// Every balance change writes a ledger row in the same transaction.
/// </summary>
public sealed class WalletLedger(BetsDatabase db, TimeProvider time)
{
    private const string SelectWallet = "SELECT balance, daily_limit, excluded_until FROM wallets WHERE wallet = @wallet";

    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>The wallet's balance and limits, read without the write lock; a wallet without a row has nothing and no limits.</summary>
    public Task<WalletState> GetAsync(string wallet, CancellationToken ct = default) =>
        db.ReadAsync(SelectWallet, command => Read(command, wallet), ct);

    /// <summary>The same, under the write lock inside a <see cref="BetsDatabase.WriteAsync{T}"/> unit: what placement checks its rules against.</summary>
    internal static WalletState GetUnderLock(BetsDatabase db, SqliteTransaction tx, string wallet) => Read(db.Statement(tx, SelectWallet), wallet);

    private static WalletState Read(SqliteCommand command, string wallet)
    {
        using var r = command.With("@wallet", wallet).ExecuteReader();
        return r.Read()
            ? new WalletState(wallet, r.GetInt64(0), r.IsDBNull(1) ? null : r.GetInt64(1), r.IsDBNull(2) ? null : r.GetInt64(2))
            : new WalletState(wallet, 0, null, null);
    }

    public async Task<IReadOnlyList<LedgerEntry>> HistoryAsync(string wallet, int limit, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var rows = await c.QueryAsync<LedgerEntry>(
            "SELECT id AS Id, amount AS Amount, kind AS Kind, bet_id AS BetId, balance_after AS BalanceAfter, created_at AS CreatedAt FROM ledger WHERE wallet = @wallet ORDER BY id DESC LIMIT @limit",
            new { wallet, limit });
        return rows.AsList();
    }

    internal static async Task<int> EnsureAsync(SqliteConnection c, SqliteTransaction tx, string wallet, long now) =>
        await c.ExecuteAsync("INSERT INTO wallets (wallet, balance, created_at) VALUES (@wallet, 0, @now) ON CONFLICT(wallet) DO NOTHING",
            new { wallet, now }, tx);

    public Task<long> FaucetAsync(string wallet, long amount, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(amount);
        return db.WriteAsync(async (c, tx) =>
        {
            await EnsureAsync(c, tx, wallet, Now);
            return await CreditAsync(c, tx, wallet, amount, "faucet", null, Now);
        }, ct);
    }

    /// <summary>Credits and appends the ledger row; returns the new balance.</summary>
    internal static async Task<long> CreditAsync(SqliteConnection c, SqliteTransaction tx, string wallet, long amount, string kind, string? betId, long now)
    {
        var balance = await c.ExecuteScalarAsync<long>(
            "UPDATE wallets SET balance = balance + @amount WHERE wallet = @wallet RETURNING balance", new { wallet, amount }, tx);
        await c.ExecuteAsync(
            "INSERT INTO ledger (wallet, amount, kind, bet_id, balance_after, created_at) VALUES (@wallet, @amount, @kind, @betId, @balance, @now)",
            new { wallet, amount, kind, betId, balance, now }, tx);
        return balance;
    }

    /// <summary>
    /// Debits only if the balance covers it: the conditional UPDATE must change exactly one row, so two concurrent
    /// debits can never both pass a stale balance check. Returns the new balance, or null when it did not cover.
    /// </summary>
    internal static long? TryDebit(BetsDatabase db, SqliteTransaction tx, string wallet, long amount, string kind, string betId, long now)
    {
        var balance = db.Statement(tx, "UPDATE wallets SET balance = balance - @amount WHERE wallet = @wallet AND balance >= @amount RETURNING balance")
            .With("@amount", amount).With("@wallet", wallet).ScalarOrNull();
        if (balance is null)
        {
            return null;
        }

        db.Statement(tx, "INSERT INTO ledger (wallet, amount, kind, bet_id, balance_after, created_at) VALUES (@wallet, @negative, @kind, @betId, @balance, @now)")
            .With("@wallet", wallet).With("@negative", -amount).With("@kind", kind).With("@betId", betId).With("@balance", balance).With("@now", now)
            .ExecuteNonQuery();
        return balance;
    }

    /// <summary>Sets the wallet's own daily stake limit (null removes it).</summary>
    public Task SetDailyLimitAsync(string wallet, long? limit, CancellationToken ct = default) =>
        db.WriteAsync(async (c, tx) =>
        {
            await EnsureAsync(c, tx, wallet, Now);
            return await c.ExecuteAsync("UPDATE wallets SET daily_limit = @limit WHERE wallet = @wallet", new { wallet, limit }, tx);
        }, ct);

    /// <summary>Self-excludes until the given instant; an exclusion can be extended, never shortened.</summary>
    public Task<long> ExcludeUntilAsync(string wallet, long untilUnixMs, CancellationToken ct = default) =>
        db.WriteAsync(async (c, tx) =>
        {
            await EnsureAsync(c, tx, wallet, Now);
            return await c.ExecuteScalarAsync<long>(
                "UPDATE wallets SET excluded_until = MAX(COALESCE(excluded_until, 0), @untilUnixMs) WHERE wallet = @wallet RETURNING excluded_until",
                new { wallet, untilUnixMs }, tx);
        }, ct);
}
