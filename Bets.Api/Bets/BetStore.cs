using System.Globalization;
using Bets.Api.Data;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Bets.Api.Bets;

public sealed record BetDto(
    string Id, string Wallet, int Band, decimal PriceLow, decimal PriceHigh, long WindowStart, long WindowEnd,
    long Stake, decimal Multiplier, long PotentialPayout, double Probability, decimal PriceAtPlacement,
    string Status, long? Payout, string? Evidence, long CreatedAt, long? ResolvedAt);

/// <summary>
/// The bets table and the cells' exposure in SQLite: data access only, the rules are <see cref="BetPlacement"/>'s. The
/// writes run inside a <see cref="BetsDatabase.WriteAsync{T}"/> unit on the writer's cached statements.
/// </summary>
public sealed class BetStore(BetsDatabase db)
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

    /// <summary>The sum of the wallet's stakes placed at or after <paramref name="since"/> (unix ms).</summary>
    public long StakedSince(SqliteTransaction tx, string wallet, long since) =>
        db.Statement(tx, "SELECT COALESCE(SUM(stake), 0) FROM bets WHERE wallet = @wallet AND created_at >= @since")
            .With("@wallet", wallet).With("@since", since).ScalarOrNull() ?? 0;

    /// <summary>
    /// Grows the cell's exposure by <paramref name="extra"/> only if it stays within <paramref name="cap"/> (one upsert:
    /// a new cell starts at this bet's exposure if that fits, an existing one grows only if the sum fits).
    /// </summary>
    public bool TryAddExposure(SqliteTransaction tx, string cellKey, long extra, long cap) =>
        db.Statement(tx, """
            INSERT INTO cell_exposure (cell, exposure) SELECT @cellKey, @extra WHERE @extra <= @cap
            ON CONFLICT(cell) DO UPDATE SET exposure = exposure + excluded.exposure WHERE exposure + excluded.exposure <= @cap
            RETURNING exposure
            """).With("@cellKey", cellKey).With("@extra", extra).With("@cap", cap).ScalarOrNull() is not null;

    public long Exposure(SqliteTransaction tx, string cellKey) =>
        db.Statement(tx, "SELECT exposure FROM cell_exposure WHERE cell = @cellKey").With("@cellKey", cellKey).ScalarOrNull() ?? 0;

    public void Insert(SqliteTransaction tx, BetDto bet, string cellKey, long multiplierBp)
    {
        var inv = CultureInfo.InvariantCulture;
        db.Statement(tx, """
            INSERT INTO bets (id, wallet, cell, band_index, price_low, price_high, window_start, window_end, stake, multiplier_bp,
                              potential_payout, probability, price_at_placement, status, created_at)
            VALUES (@id, @wallet, @cell, @band, @low, @high, @start, @end, @stake, @multiplierBp, @payout, @probability, @spot, 'open', @now)
            """).With("@id", bet.Id).With("@wallet", bet.Wallet).With("@cell", cellKey).With("@band", bet.Band)
            .With("@low", bet.PriceLow.ToString(inv)).With("@high", bet.PriceHigh.ToString(inv)).With("@start", bet.WindowStart)
            .With("@end", bet.WindowEnd).With("@stake", bet.Stake).With("@multiplierBp", multiplierBp).With("@payout", bet.PotentialPayout)
            .With("@probability", bet.Probability).With("@spot", bet.PriceAtPlacement.ToString(inv)).With("@now", bet.CreatedAt).ExecuteNonQuery();
    }

    public async Task<IReadOnlyList<BetDto>> ListAsync(string wallet, string? status, int limit, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var rows = await c.QueryAsync<BetRow>(
            $"SELECT {Columns} FROM bets WHERE wallet = @wallet AND (@status IS NULL OR status = @status) ORDER BY created_at DESC, id DESC LIMIT @limit",
            new { wallet, status, limit });
        return rows.Select(r => r.ToDto()).ToList();
    }

    public async Task<BetDto?> GetAsync(string id, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var row = await c.QuerySingleOrDefaultAsync<BetRow>($"SELECT {Columns} FROM bets WHERE id = @id", new { id });
        return row?.ToDto();
    }
}
