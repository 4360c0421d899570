using Bets.Api.Data;
using Bets.Api.Grid;
using Bets.Api.Prices;
using Bets.Api.Wallets;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Bets.Api.Bets;

/// <summary>A wallet's request to stake <paramref name="Stake"/> cents on one cell of the grid.</summary>
public sealed record PlaceBet(string Wallet, int Band, long WindowStart, long Stake);

/// <summary>Why a bet was not placed.</summary>
public enum Refusal
{
    StakeOutOfBounds,
    NotAWindowStart,
    PriceStale,
    CellInPast,
    CellTooSoon,
    CellNotOnGrid,
    CellNoValue,
    SelfExcluded,
    DailyLimitReached,
    InsufficientBalance,
    CellFull,
}

/// <summary>The result of one placement: placed, or refused with the reason and the facts behind it (money in cents).</summary>
public abstract record PlaceOutcome
{
    private PlaceOutcome() { }

    public sealed record Placed(BetDto Bet, long Balance) : PlaceOutcome;

    public sealed record Refused(Refusal Reason, string Detail) : PlaceOutcome
    {
        public long? MinStakeCents { get; init; }
        public long? MaxStakeCents { get; init; }
        /// <summary>The balance the stake needs (the stake itself) and the balance there is.</summary>
        public long? NeededCents { get; init; }
        public long? BalanceCents { get; init; }
        /// <summary>The wallet's daily limit and what it staked today (UTC) before this bet.</summary>
        public long? LimitCents { get; init; }
        public long? StakedTodayCents { get; init; }
        /// <summary>How much more can be paid out on a full cell.</summary>
        public long? RemainingPayoutCents { get; init; }
        public DateTimeOffset? ExcludedUntil { get; init; }
    }
}

/// <summary>
/// Every rule of placing a bet, in one place. The rules that need no lock (stake bounds, the grid, a fresh price) are
/// checked by <see cref="QuoteAsync"/>, which prices the cell; the ones that must hold across concurrent requests and
/// instances (self-exclusion, daily limit, balance, cell exposure) by <see cref="Commit"/>, under SQLite's write lock,
/// in the caller's transaction. Returns domain outcomes: what HTTP makes of them is the endpoint's business.
/// </summary>
public sealed partial class BetPlacement(
    BetsDatabase db, BetStore store, GridService grid, PriceFeed feed, IOptions<PriceFeedOptions> feedOptions, TimeProvider time, ILogger<BetPlacement> logger)
{
    /// <summary>A bet that passed the rules outside the lock, with its cell priced now and the spot price it was priced at.</summary>
    public sealed record Quote(string Wallet, long Stake, GridCell Cell, decimal Spot, long MaxCellExposure);

    /// <summary>Quotes, then commits in a transaction of its own (callers that keep nothing else with the bet).</summary>
    public async Task<PlaceOutcome> PlaceAsync(PlaceBet bet, CancellationToken ct = default)
    {
        var (quote, refused) = await QuoteAsync(bet, ct);
        if (refused is not null)
        {
            return refused;
        }

        return await PlaceAsync(quote!, ct);
    }

    /// <summary>Commits a quote in a transaction of its own.</summary>
    public Task<PlaceOutcome> PlaceAsync(Quote quote, CancellationToken ct = default) =>
        db.WriteAsync((_, tx) => Task.FromResult(Commit(tx, quote)), ct);

    /// <summary>The rules that need no lock; on success the cell priced at the current price and volatility.</summary>
    public async Task<(Quote? Quote, PlaceOutcome.Refused? Refused)> QuoteAsync(PlaceBet bet, CancellationToken ct = default)
    {
        var o = grid.Options;
        if (bet.Stake < o.MinStake || bet.Stake > o.MaxStake)
        {
            return Refuse(bet, new(Refusal.StakeOutOfBounds,
                $"The stake must be between {Money.Dollars(o.MinStake)} and {Money.Dollars(o.MaxStake)} (between {o.MinStake} and {o.MaxStake} cents).")
            {
                MinStakeCents = o.MinStake, MaxStakeCents = o.MaxStake,
            });
        }
        var windowMs = o.WindowSeconds * 1000L;
        if (bet.WindowStart % windowMs != 0)
        {
            return Refuse(bet, new(Refusal.NotAWindowStart, $"Windows start at multiples of {o.WindowSeconds} s (unix ms)."));
        }
        if (feed.Current() is not { Stale: false } reading)
        {
            return Refuse(bet, new(Refusal.PriceStale,
                $"Bets are paused: the latest price is missing, marked stale or older than {feedOptions.Value.StaleAfterSeconds} s."));
        }
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (bet.WindowStart + windowMs <= now)
        {
            return Refuse(bet, new(Refusal.CellInPast, "This cell's window has already ended."));
        }

        if (bet.WindowStart - now < o.MinLeadSeconds * 1000L)
        {
            return Refuse(bet, new(Refusal.CellTooSoon,
                $"Bets close {o.MinLeadSeconds} s before a window starts; this one starts in {Math.Max(0, (bet.WindowStart - now) / 1000.0):0.#} s."));
        }
        var last = GridCalculator.FirstWindowStart(now, o.WindowSeconds) + (o.Windows - 1) * windowMs;
        var center = GridCalculator.BandOf(reading.Price, o.BandWidth);
        if (bet.WindowStart > last || Math.Abs(bet.Band - center) > o.BandsEachSide)
        {
            return Refuse(bet, new(Refusal.CellNotOnGrid,
                $"Only bands {center - o.BandsEachSide}..{center + o.BandsEachSide} and windows up to {last} are open now."));
        }
        var sigma = await grid.SigmaAsync(ct);
        var cell = GridCalculator.PriceCell(reading.Price, sigma, now, bet.Band, bet.WindowStart, o);
        if (!cell.Bettable)
        {
            return Refuse(bet, new(Refusal.CellNoValue, $"This cell cannot be bet on: {cell.Reason}."));
        }

        return (new Quote(bet.Wallet, bet.Stake, cell, reading.Price, o.MaxCellExposure), null);
    }

    /// <summary>
    /// The rules that must hold across concurrent placements, then the debit and the bet, inside <paramref name="tx"/>
    /// (a <see cref="BetsDatabase.WriteAsync{T}"/> unit): all of it commits with the caller's other writes or none.
    /// </summary>
    public PlaceOutcome Commit(SqliteTransaction tx, Quote quote)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var (wallet, stake, cell) = (quote.Wallet, quote.Stake, quote.Cell);
        var account = WalletLedger.GetUnderLock(db, tx, wallet);
        if (account.ExcludedUntil is { } until && until > now)
        {
            var at = DateTimeOffset.FromUnixTimeMilliseconds(until);
            return Refused(wallet, new(Refusal.SelfExcluded, $"This wallet is self-excluded from betting until {at:O}.") { ExcludedUntil = at });
        }
        if (account.DailyLimit is { } limit)
        {
            var today = store.StakedSince(tx, wallet, now - now % 86_400_000);
            if (today + stake > limit)
            {
                return Refused(wallet, new(Refusal.DailyLimitReached,
                    $"This stake of {Money.Dollars(stake)} would bring today's stakes to {Money.Dollars(today + stake)}, over the daily limit of {Money.Dollars(limit)} set for this wallet (UTC day).")
                {
                    NeededCents = stake, LimitCents = limit, StakedTodayCents = today,
                });
            }
        }
        if (account.Balance < stake)
        {
            return Refused(wallet, new(Refusal.InsufficientBalance,
                $"The stake of {Money.Dollars(stake)} is more than the balance of {Money.Dollars(account.Balance)}.")
            {
                NeededCents = stake, BalanceCents = account.Balance,
            });
        }
        var multiplierBp = (long)(cell.Multiplier * 10_000m);
        var payout = stake * multiplierBp / 10_000;
        var cellKey = BetStore.CellKey(cell.Band, cell.WindowStart);
        if (!store.TryAddExposure(tx, cellKey, payout - stake, quote.MaxCellExposure))
        {
            var remaining = Math.Max(0, quote.MaxCellExposure - store.Exposure(tx, cellKey));
            return Refused(wallet, new(Refusal.CellFull,
                $"This cell has reached its exposure cap; at most {Money.Dollars(remaining)} more can be paid out on it.")
            {
                RemainingPayoutCents = remaining,
            });
        }

        var id = Guid.CreateVersion7().ToString("N");
        // The conditional debit is the guard: if it did not change exactly one row, nothing of this bet may commit.
        var balance = WalletLedger.TryDebit(db, tx, wallet, stake, "stake", id, now)
            ?? throw new InvalidOperationException("the debit changed no row although the balance was checked under the same lock");
        var bet = new BetDto(id, wallet, cell.Band, cell.PriceLow, cell.PriceHigh, cell.WindowStart, cell.WindowEnd, stake,
            multiplierBp / 10_000m, payout, cell.Probability, quote.Spot, "open", null, null, now, null);
        store.Insert(tx, bet, cellKey, multiplierBp);
        LogPlaced(logger, id, wallet, stake, cellKey);
        return new PlaceOutcome.Placed(bet, balance);
    }

    private (Quote?, PlaceOutcome.Refused?) Refuse(PlaceBet bet, PlaceOutcome.Refused refused) => (null, Refused(bet.Wallet, refused));

    private PlaceOutcome.Refused Refused(string wallet, PlaceOutcome.Refused refused)
    {
        LogRefused(logger, wallet, refused.Reason);
        return refused;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Bet {BetId} placed: {Wallet} staked {Stake} cents on {Cell}")]
    private static partial void LogPlaced(ILogger logger, string betId, string wallet, long stake, string cell);

    [LoggerMessage(Level = LogLevel.Information, Message = "Bet refused for {Wallet}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string wallet, Refusal reason);
}
