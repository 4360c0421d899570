using System.Globalization;
using Bets.Api.Grid;
using Bets.Api.Wallets;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Bets.Api.Bets;

public sealed record BetDto(
    string Id, string Wallet, int Band, decimal PriceLow, decimal PriceHigh, long WindowStart, long WindowEnd,
    long Stake, decimal Multiplier, long PotentialPayout, double Probability, decimal PriceAtPlacement,
    string Status, long? Payout, string? Evidence, long CreatedAt, long? ResolvedAt);

/// <summary>The result of one placement attempt inside the ledger transaction.</summary>
public abstract record PlaceOutcome
{
    public sealed record Placed(BetDto Bet, long Balance) : PlaceOutcome;
    public sealed record Rejected(int Status, string Type, string Title, string Detail) : PlaceOutcome;
    public sealed record Replayed(int Status, string ContentType, string Body) : PlaceOutcome;
    public sealed record KeyReusedWithOtherBody : PlaceOutcome;
}

public sealed record IdempotencyRecord(string Key, string Fingerprint);

public sealed record StoredResponse(int Status, string ContentType, string Body);

/// <summary>Bets and their money movements in SQLite. Placement is one BEGIN IMMEDIATE transaction.</summary>
public sealed class BetStore(BetsDatabase db, TimeProvider time)
{
    internal const string Columns = """
        id AS Id, wallet AS Wallet, band_index AS Band, price_low AS PriceLow, price_high AS PriceHigh,
        window_start AS WindowStart, window_end AS WindowEnd, stake AS Stake, multiplier_bp AS MultiplierBp,
        potential_payout AS PotentialPayout, probability AS Probability, price_at_placement AS PriceAtPlacement,
        status AS Status, payout AS Payout, evidence AS Evidence, created_at AS CreatedAt, resolved_at AS ResolvedAt
        """;

    internal sealed record BetRow(
        string Id, string Wallet, long Band, string PriceLow, string PriceHigh, long WindowStart, long WindowEnd,
        long Stake, long MultiplierBp, long PotentialPayout, double Probability, string PriceAtPlacement,
        string Status, long? Payout, string? Evidence, long CreatedAt, long? ResolvedAt)
    {
        public BetDto ToDto() => new(Id, Wallet, (int)Band, Dec(PriceLow), Dec(PriceHigh), WindowStart, WindowEnd, Stake,
            MultiplierBp / 10_000m, PotentialPayout, Probability, Dec(PriceAtPlacement), Status, Payout, Evidence, CreatedAt, ResolvedAt);

        private static decimal Dec(string s) => decimal.Parse(s, NumberStyles.Number, CultureInfo.InvariantCulture);
    }

    public static string CellKey(int band, long windowStart) => string.Create(CultureInfo.InvariantCulture, $"{band}@{windowStart}");

    /// <summary>
    /// Debits the stake and records the bet, all or nothing. Limits and exposure are checked under the write lock, so
    /// they hold across concurrent requests and instances. With an idempotency key the response is stored in the
    /// same transaction: a committed bet always has its stored response, and a replay never debits twice.
    /// Runs on the writer's connection with its cached statements (the writer is the serial part of placement).
    /// </summary>
    public Task<PlaceOutcome> PlaceAsync(
        string wallet, long stake, GridCell cell, decimal spot, GridOptions options, IdempotencyRecord? key,
        Func<PlaceOutcome, StoredResponse> render, CancellationToken ct = default) =>
        db.WriteAsync((_, tx) => Task.FromResult(Place(tx, wallet, stake, cell, spot, options, key, render)), ct);

    private PlaceOutcome Place(
        SqliteTransaction tx, string wallet, long stake, GridCell cell, decimal spot, GridOptions options, IdempotencyRecord? key,
        Func<PlaceOutcome, StoredResponse> render)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (key is not null && ReadStored(db.Statement(tx, SelectIdempotency), wallet, key) is { } earlier) return earlier;

        var outcome = PlaceInTransaction(tx, wallet, stake, cell, spot, options, now);
        if (key is not null)
        {
            var response = render(outcome);
            db.Statement(tx, "INSERT INTO idempotency (wallet, key, fingerprint, status_code, content_type, body, created_at) VALUES (@wallet, @k, @f, @s, @ct, @b, @now)")
                .With("@wallet", wallet).With("@k", key.Key).With("@f", key.Fingerprint).With("@s", response.Status)
                .With("@ct", response.ContentType).With("@b", response.Body).With("@now", now).ExecuteNonQuery();
        }
        return outcome;
    }

    private const string SelectIdempotency = "SELECT fingerprint, status_code, content_type, body FROM idempotency WHERE wallet = @wallet AND key = @k";

    private static PlaceOutcome? ReadStored(SqliteCommand command, string wallet, IdempotencyRecord key)
    {
        using var r = command.With("@wallet", wallet).With("@k", key.Key).ExecuteReader();
        if (!r.Read()) return null;
        return r.GetString(0) == key.Fingerprint
            ? new PlaceOutcome.Replayed(r.GetInt32(1), r.GetString(2), r.GetString(3))
            : new PlaceOutcome.KeyReusedWithOtherBody();
    }

    private PlaceOutcome PlaceInTransaction(
        SqliteTransaction tx, string wallet, long stake, GridCell cell, decimal spot, GridOptions options, long now)
    {
        long balanceBefore = 0;
        long? dailyLimit = null, excludedUntil = null;
        using (var r = db.Statement(tx, "SELECT balance, daily_limit, excluded_until FROM wallets WHERE wallet = @wallet").With("@wallet", wallet).ExecuteReader())
        {
            if (r.Read())
            {
                balanceBefore = r.GetInt64(0);
                dailyLimit = r.IsDBNull(1) ? null : r.GetInt64(1);
                excludedUntil = r.IsDBNull(2) ? null : r.GetInt64(2);
            }
        }
        if (excludedUntil is { } until && until > now)
        {
            var at = DateTimeOffset.FromUnixTimeMilliseconds(until).ToString("O", CultureInfo.InvariantCulture);
            return new PlaceOutcome.Rejected(403, Problems.SelfExcluded, "Self-excluded", $"This wallet is self-excluded from betting until {at}.");
        }
        if (dailyLimit is { } limit)
        {
            var dayStart = now - now % 86_400_000;
            var today = db.Statement(tx, "SELECT COALESCE(SUM(stake), 0) FROM bets WHERE wallet = @wallet AND created_at >= @dayStart")
                .With("@wallet", wallet).With("@dayStart", dayStart).ScalarOrNull() ?? 0;
            if (today + stake > limit)
            {
                return new PlaceOutcome.Rejected(422, Problems.DailyLimit, "Daily limit reached",
                    $"This stake would bring today's stakes to {today + stake}, over the daily limit of {limit} set for this wallet (UTC day).");
            }
        }

        var multiplierBp = (long)(cell.Multiplier * 10_000m);
        var payout = stake * multiplierBp / 10_000;
        var cellKey = CellKey(cell.Band, cell.WindowStart);
        if (balanceBefore < stake)
        {
            return new PlaceOutcome.Rejected(422, Problems.InsufficientBalance, "Insufficient balance", $"The stake is {stake} but the balance is {balanceBefore}.");
        }
        // Conditional like the debit: the cell's exposure only grows while it stays under the cap (one upsert: a new
        // cell starts at this bet's exposure if that fits, an existing one grows only if the sum fits; no row = full).
        var added = db.Statement(tx, """
            INSERT INTO cell_exposure (cell, exposure) SELECT @cellKey, @extra WHERE @extra <= @cap
            ON CONFLICT(cell) DO UPDATE SET exposure = exposure + excluded.exposure WHERE exposure + excluded.exposure <= @cap
            RETURNING exposure
            """).With("@cellKey", cellKey).With("@extra", payout - stake).With("@cap", options.MaxCellExposure).ScalarOrNull();
        if (added is null)
        {
            var exposure = db.Statement(tx, "SELECT exposure FROM cell_exposure WHERE cell = @cellKey").With("@cellKey", cellKey).ScalarOrNull() ?? 0;
            return new PlaceOutcome.Rejected(422, Problems.ExposureCap, "Cell is full",
                $"This cell has reached its exposure cap; at most {Math.Max(0, options.MaxCellExposure - exposure)} more can be paid out on it.");
        }

        var id = Guid.CreateVersion7().ToString("N");
        var balance = WalletLedger.TryDebit(db, tx, wallet, stake, "stake", id, now);
        // The conditional debit is the guard: if it did not change exactly one row, nothing of this bet may commit.
        if (balance is null) throw new InvalidOperationException("the debit changed no row although the balance was checked under the same lock");
        var inv = CultureInfo.InvariantCulture;
        var bet = new BetDto(id, wallet, cell.Band, cell.PriceLow, cell.PriceHigh, cell.WindowStart, cell.WindowEnd, stake,
            multiplierBp / 10_000m, payout, cell.Probability, spot, "open", null, null, now, null);
        db.Statement(tx, """
            INSERT INTO bets (id, wallet, cell, band_index, price_low, price_high, window_start, window_end, stake, multiplier_bp,
                              potential_payout, probability, price_at_placement, status, created_at)
            VALUES (@id, @wallet, @cell, @band, @low, @high, @start, @end, @stake, @multiplierBp, @payout, @probability, @spot, 'open', @now)
            """).With("@id", id).With("@wallet", wallet).With("@cell", cellKey).With("@band", cell.Band)
            .With("@low", cell.PriceLow.ToString(inv)).With("@high", cell.PriceHigh.ToString(inv)).With("@start", cell.WindowStart)
            .With("@end", cell.WindowEnd).With("@stake", stake).With("@multiplierBp", multiplierBp).With("@payout", payout)
            .With("@probability", cell.Probability).With("@spot", spot.ToString(inv)).With("@now", now).ExecuteNonQuery();
        return new PlaceOutcome.Placed(bet, balance.Value);
    }

    /// <summary>The stored outcome for a key, read without the write lock (placement checks again under it).</summary>
    public Task<PlaceOutcome?> FindStoredAsync(string wallet, IdempotencyRecord key, CancellationToken ct = default) =>
        db.ReadAsync(SelectIdempotency, command => ReadStored(command, wallet, key), ct);

    public async Task<IReadOnlyList<BetDto>> ListAsync(string wallet, string? status, int limit, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct).ConfigureAwait(false);
        var rows = await c.QueryAsync<BetRow>(
            $"SELECT {Columns} FROM bets WHERE wallet = @wallet AND (@status IS NULL OR status = @status) ORDER BY created_at DESC, id DESC LIMIT @limit",
            new { wallet, status, limit }).ConfigureAwait(false);
        return rows.Select(r => r.ToDto()).ToList();
    }

    public async Task<BetDto?> GetAsync(string id, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct).ConfigureAwait(false);
        var row = await c.QuerySingleOrDefaultAsync<BetRow>($"SELECT {Columns} FROM bets WHERE id = @id", new { id }).ConfigureAwait(false);
        return row?.ToDto();
    }
}

/// <summary>Problem type URIs (RFC 9457 "type") of the betting API.</summary>
public static class Problems
{
    private const string Base = "https://platform.local/problems/";
    public const string SelfExcluded = Base + "self-excluded";
    public const string DailyLimit = Base + "daily-limit";
    public const string ExposureCap = Base + "exposure-cap";
    public const string InsufficientBalance = Base + "insufficient-balance";
    public const string StakeOutOfBounds = Base + "stake-out-of-bounds";
    public const string CellTooSoon = Base + "cell-too-soon";
    public const string CellInPast = Base + "cell-in-past";
    public const string CellNotOnGrid = Base + "cell-not-on-grid";
    public const string CellNoValue = Base + "cell-no-value";
    public const string StalePrice = Base + "stale-price";
    public const string RateLimited = Base + "rate-limited";
    public const string IdempotencyKeyReused = Base + "idempotency-key-reused";
    public const string IdempotencyInFlight = Base + "idempotency-in-flight";
    public const string IdempotencyKeyInvalid = Base + "idempotency-key-invalid";
    public const string SignIn = Base + "sign-in-refused";
    public const string Unavailable = Base + "unavailable";
    public const string InvalidRequest = Base + "invalid-request";
}
