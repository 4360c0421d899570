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

    private sealed record IdempotencyRow(string Fingerprint, long Status, string ContentType, string Body);

    private sealed record LimitsRow(long Balance, long? DailyLimit, long? ExcludedUntil);

    public static string CellKey(int band, long windowStart) => string.Create(CultureInfo.InvariantCulture, $"{band}@{windowStart}");

    /// <summary>
    /// Debits the stake and records the bet, all or nothing. Limits and exposure are checked under the write lock, so
    /// they hold across concurrent requests and instances. With an idempotency key the response is stored in the
    /// same transaction: a committed bet always has its stored response, and a replay never debits twice.
    /// </summary>
    public Task<PlaceOutcome> PlaceAsync(
        string wallet, long stake, GridCell cell, decimal spot, GridOptions options, IdempotencyRecord? key,
        Func<PlaceOutcome, StoredResponse> render, CancellationToken ct = default) =>
        db.WriteAsync(async (c, tx) =>
        {
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            if (key is not null)
            {
                var s = await c.QuerySingleOrDefaultAsync<IdempotencyRow>(
                    "SELECT fingerprint AS Fingerprint, status_code AS Status, content_type AS ContentType, body AS Body FROM idempotency WHERE wallet = @wallet AND key = @k",
                    new { wallet, k = key.Key }, tx).ConfigureAwait(false);
                if (s is not null)
                {
                    return s.Fingerprint == key.Fingerprint
                        ? new PlaceOutcome.Replayed((int)s.Status, s.ContentType, s.Body)
                        : new PlaceOutcome.KeyReusedWithOtherBody();
                }
            }

            var outcome = await PlaceInTransactionAsync(c, tx, wallet, stake, cell, spot, options, now).ConfigureAwait(false);
            if (key is not null)
            {
                var response = render(outcome);
                await c.ExecuteAsync(
                    "INSERT INTO idempotency (wallet, key, fingerprint, status_code, content_type, body, created_at) VALUES (@wallet, @k, @f, @s, @ct, @b, @now)",
                    new { wallet, k = key.Key, f = key.Fingerprint, s = response.Status, ct = response.ContentType, b = response.Body, now }, tx).ConfigureAwait(false);
            }
            return outcome;
        }, ct);

    private static async Task<PlaceOutcome> PlaceInTransactionAsync(
        SqliteConnection c, SqliteTransaction tx, string wallet, long stake, GridCell cell, decimal spot, GridOptions options, long now)
    {
        var state = await c.QuerySingleOrDefaultAsync<LimitsRow>(
            "SELECT balance AS Balance, daily_limit AS DailyLimit, excluded_until AS ExcludedUntil FROM wallets WHERE wallet = @wallet",
            new { wallet }, tx).ConfigureAwait(false) ?? new LimitsRow(0, null, null);
        if (state.ExcludedUntil is { } until && until > now)
        {
            var at = DateTimeOffset.FromUnixTimeMilliseconds(until).ToString("O", CultureInfo.InvariantCulture);
            return new PlaceOutcome.Rejected(403, Problems.SelfExcluded, "Self-excluded", $"This wallet is self-excluded from betting until {at}.");
        }
        if (state.DailyLimit is { } limit)
        {
            var dayStart = now - now % 86_400_000;
            var today = await c.ExecuteScalarAsync<long>(
                "SELECT COALESCE(SUM(stake), 0) FROM bets WHERE wallet = @wallet AND created_at >= @dayStart",
                new { wallet, dayStart }, tx).ConfigureAwait(false);
            if (today + stake > limit)
            {
                return new PlaceOutcome.Rejected(422, Problems.DailyLimit, "Daily limit reached",
                    $"This stake would bring today's stakes to {today + stake}, over the daily limit of {limit} set for this wallet (UTC day).");
            }
        }

        var multiplierBp = (long)(cell.Multiplier * 10_000m);
        var payout = stake * multiplierBp / 10_000;
        var cellKey = CellKey(cell.Band, cell.WindowStart);
        if (state.Balance < stake)
        {
            return new PlaceOutcome.Rejected(422, Problems.InsufficientBalance, "Insufficient balance", $"The stake is {stake} but the balance is {state.Balance}.");
        }
        // Conditional like the debit: the cell's exposure only grows while it stays under the cap.
        await c.ExecuteAsync("INSERT INTO cell_exposure (cell, exposure) VALUES (@cellKey, 0) ON CONFLICT(cell) DO NOTHING", new { cellKey }, tx).ConfigureAwait(false);
        var added = await c.QuerySingleOrDefaultAsync<long?>(
            "UPDATE cell_exposure SET exposure = exposure + @extra WHERE cell = @cellKey AND exposure + @extra <= @cap RETURNING exposure",
            new { cellKey, extra = payout - stake, cap = options.MaxCellExposure }, tx).ConfigureAwait(false);
        if (added is null)
        {
            var exposure = await c.ExecuteScalarAsync<long>("SELECT exposure FROM cell_exposure WHERE cell = @cellKey", new { cellKey }, tx).ConfigureAwait(false);
            return new PlaceOutcome.Rejected(422, Problems.ExposureCap, "Cell is full",
                $"This cell has reached its exposure cap; at most {Math.Max(0, options.MaxCellExposure - exposure)} more can be paid out on it.");
        }

        var id = Guid.CreateVersion7().ToString("N");
        var balance = await WalletLedger.TryDebitAsync(c, tx, wallet, stake, "stake", id, now).ConfigureAwait(false);
        // The conditional debit is the guard: if it did not change exactly one row, nothing of this bet may commit.
        if (balance is null) throw new InvalidOperationException("the debit changed no row although the balance was checked under the same lock");
        var inv = CultureInfo.InvariantCulture;
        var row = new BetRow(id, wallet, cell.Band, cell.PriceLow.ToString(inv), cell.PriceHigh.ToString(inv), cell.WindowStart, cell.WindowEnd,
            stake, multiplierBp, payout, cell.Probability, spot.ToString(inv), "open", null, null, now, null);
        await c.ExecuteAsync("""
            INSERT INTO bets (id, wallet, cell, band_index, price_low, price_high, window_start, window_end, stake, multiplier_bp,
                              potential_payout, probability, price_at_placement, status, created_at)
            VALUES (@Id, @Wallet, @cellKey, @Band, @PriceLow, @PriceHigh, @WindowStart, @WindowEnd, @Stake, @MultiplierBp,
                    @PotentialPayout, @Probability, @PriceAtPlacement, 'open', @CreatedAt)
            """, new { row.Id, row.Wallet, cellKey, row.Band, row.PriceLow, row.PriceHigh, row.WindowStart, row.WindowEnd, row.Stake,
                row.MultiplierBp, row.PotentialPayout, row.Probability, row.PriceAtPlacement, row.CreatedAt }, tx).ConfigureAwait(false);
        return new PlaceOutcome.Placed(row.ToDto(), balance.Value);
    }

    /// <summary>The stored outcome for a key, read without the write lock (placement checks again under it).</summary>
    public async Task<PlaceOutcome?> FindStoredAsync(string wallet, IdempotencyRecord key, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct).ConfigureAwait(false);
        var s = await c.QuerySingleOrDefaultAsync<IdempotencyRow>(
            "SELECT fingerprint AS Fingerprint, status_code AS Status, content_type AS ContentType, body AS Body FROM idempotency WHERE wallet = @wallet AND key = @k",
            new { wallet, k = key.Key }).ConfigureAwait(false);
        if (s is null) return null;
        return s.Fingerprint == key.Fingerprint ? new PlaceOutcome.Replayed((int)s.Status, s.ContentType, s.Body) : new PlaceOutcome.KeyReusedWithOtherBody();
    }

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
}
