using Bets.Api.Bets;
using Bets.Api.Data;
using Bets.Api.Grid;
using Bets.Api.Wallets;
using Dapper;
using Microsoft.Data.Sqlite;
using Platform.TestSupport;

namespace Bets.Api.Tests;

public sealed class LedgerTests : IAsyncLifetime, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bets-ledger-").FullName;
    private readonly FixedTime _time = new(new DateTimeOffset(2030, 1, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly BetsDatabase _db;
    private readonly WalletLedger _wallets;
    private readonly BetPlacement _placement;
    private readonly IdempotencyStore _idempotency;
    private readonly GridOptions _options = new() { MaxCellExposure = long.MaxValue / 4 };

    public LedgerTests(BetsFixture fixture)
    {
        _db = new BetsDatabase($"Data Source={Path.Combine(_dir, "bets.db")}");
        _wallets = new WalletLedger(_db, _time);
        _placement = Placements.For(_db, _time, fixture.Client);
        _idempotency = new IdempotencyStore(_db, _time);
    }

    public ValueTask InitializeAsync() => new(_db.MigrateAsync());
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    public void Dispose()
    {
        _db.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private GridCell Cell(int band = 2400, decimal multiplier = 2m) =>
        new(band, band * 25m, band * 25m + 25m, _time.Now.ToUnixTimeMilliseconds() + 60_000, _time.Now.ToUnixTimeMilliseconds() + 90_000, 0.475, multiplier, true, null);

    private Task<PlaceOutcome> PlaceAsync(string wallet, long stake, GridCell cell, GridOptions? options = null, CancellationToken ct = default) =>
        _placement.PlaceAsync(Placements.Quote(wallet, stake, cell, 60_000m, options ?? _options), ct);

    /// <summary>What POST /bets does with an Idempotency-Key: the answer is saved in the unit that commits the bet.</summary>
    private Task<StoredExchange> PlaceOnceAsync(string wallet, long stake, GridCell cell, IdempotencyRecord key, CancellationToken ct) =>
        _db.WriteAsync((_, tx) => Task.FromResult(_idempotency.FindUnderLock(tx, wallet, key.Key)
            ?? _idempotency.Save(tx, wallet, key, _placement.Commit(tx, Placements.Quote(wallet, stake, cell, 60_000m, _options)) switch
            {
                PlaceOutcome.Placed p => new StoredResponse(201, "application/json", p.Bet.Id),
                PlaceOutcome.Refused r => new StoredResponse(422, "application/problem+json", r.Reason.ToString()),
                _ => throw new InvalidOperationException(),
            })), ct);

    [Fact]
    public async Task TwoHundredConcurrentBetsAgainstOneBalanceNeverOverspend()
    {
        var ct = TestContext.Current.CancellationToken;
        await _wallets.FaucetAsync("0xA", 10_000, ct);
        var tasks = Enumerable.Range(0, 200).Select(_ => Task.Run(() => PlaceAsync("0xA", 100, Cell(), ct: ct), ct));
        var outcomes = await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(60), ct);

        Assert.Equal(100, outcomes.Count(o => o is PlaceOutcome.Placed));
        Assert.Equal(100, outcomes.Count(o => o is PlaceOutcome.Refused { Reason: Refusal.InsufficientBalance, NeededCents: 100, BalanceCents: 0 }));
        Assert.Equal(0, (await _wallets.GetAsync("0xA", ct)).Balance);
        await using var c = await _db.OpenAsync(ct);
        Assert.Equal(0, await c.ExecuteScalarAsync<long>("SELECT SUM(amount) FROM ledger WHERE wallet = '0xA'"));
        Assert.Equal(100, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM bets WHERE wallet = '0xA'"));
    }

    [Fact]
    public async Task CommittedPagesAreCheckpointedIntoTheDatabaseFileOffTheWriter()
    {
        var ct = TestContext.Current.CancellationToken;
        var file = new FileInfo(_db.DataSource);
        var before = file.Length;
        await _wallets.FaucetAsync("0xE", 10_000_000, ct);
        var bets = Enumerable.Range(0, 300).Select(i => PlaceOnceAsync("0xE", 100, Cell(2400 + i % 10), new IdempotencyRecord($"c{i}", "f"), ct));
        await Task.WhenAll(bets).WaitAsync(TimeSpan.FromSeconds(60), ct);

        // The writer never checkpoints (wal_autocheckpoint = 0 on its connection): only the background checkpointer
        // copies the WAL back, which is what makes the database file grow.
        await Eventually.UntilAsync(() =>
        {
            file.Refresh();
            return file.Length > before;
        }, "the checkpointer to grow the database file", ct, TimeSpan.FromSeconds(20), () => $"{file.Length} bytes, {before} before");
    }

    [Fact]
    public async Task TheLedgerIsAppendOnly()
    {
        var ct = TestContext.Current.CancellationToken;
        await _wallets.FaucetAsync("0xB", 500, ct);
        await using var c = await _db.OpenAsync(ct);
        await Assert.ThrowsAsync<SqliteException>(() => c.ExecuteAsync("UPDATE ledger SET amount = 1000000"));
        await Assert.ThrowsAsync<SqliteException>(() => c.ExecuteAsync("DELETE FROM ledger"));
        await Assert.ThrowsAsync<SqliteException>(() => c.ExecuteAsync("UPDATE wallets SET balance = -1 WHERE wallet = '0xB'"));
    }

    [Fact]
    public async Task WriteTransactionsTakeTheWriteLockAtBegin()
    {
        var ct = TestContext.Current.CancellationToken;
        var inside = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        var writer = _db.WriteAsync(async (_, _) => { inside.SetResult(); await release.Task; return 0; }, ct);
        await inside.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
        await using (var other = new SqliteConnection($"Data Source={_db.DataSource};Default Timeout=1"))
        {
            await other.OpenAsync(ct);
            await other.ExecuteAsync("PRAGMA busy_timeout = 0");
            var busy = await Assert.ThrowsAsync<SqliteException>(() => other.ExecuteAsync("BEGIN IMMEDIATE"));
            Assert.Equal(5, busy.SqliteErrorCode); // SQLITE_BUSY: the first transaction already holds the write lock
        }
        release.SetResult();
        await writer.WaitAsync(TimeSpan.FromSeconds(10), ct);
    }

    [Fact]
    public async Task AKeysAnswerCommitsWithItsBetAndARetryFindsItInsteadOfPlacingAgain()
    {
        var ct = TestContext.Current.CancellationToken;
        await _wallets.FaucetAsync("0xC", 1_000, ct);
        var key = new IdempotencyRecord("k1", "fp1");
        var first = await PlaceOnceAsync("0xC", 100, Cell(), key, ct);
        var again = await PlaceOnceAsync("0xC", 100, Cell(), key, ct);
        var other = await PlaceOnceAsync("0xC", 200, Cell(), key with { Fingerprint = "fp2" }, ct);

        Assert.Equal(first, again);
        Assert.Equal(first, other); // the stored fingerprint is fp1: the endpoint tells the other body apart from it
        Assert.Equal(first.Response, (await _idempotency.FindAsync("0xC", "k1", ct))!.Response);
        Assert.Equal(900, (await _wallets.GetAsync("0xC", ct)).Balance);
        await using var c = await _db.OpenAsync(ct);
        Assert.Equal(1, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM bets WHERE wallet = '0xC'"));
    }

    [Fact]
    public async Task SelfExclusionDailyLimitAndExposureCapAreEnforcedWithTheirFacts()
    {
        var ct = TestContext.Current.CancellationToken;
        await _wallets.FaucetAsync("0xD", 100_000, ct);
        await _wallets.SetDailyLimitAsync("0xD", 1_000, ct);
        Assert.IsType<PlaceOutcome.Placed>(await PlaceAsync("0xD", 600, Cell(), ct: ct));
        var over = Assert.IsType<PlaceOutcome.Refused>(await PlaceAsync("0xD", 600, Cell(), ct: ct));
        Assert.Equal((Refusal.DailyLimitReached, 1_000L, 600L, 600L), (over.Reason, over.LimitCents, over.StakedTodayCents, over.NeededCents));

        var capped = new GridOptions { MaxCellExposure = 1_000 };
        await _wallets.SetDailyLimitAsync("0xD", null, ct);
        Assert.IsType<PlaceOutcome.Placed>(await PlaceAsync("0xD", 1_000, Cell(2500, 2m), capped, ct));
        var full = Assert.IsType<PlaceOutcome.Refused>(await PlaceAsync("0xD", 100, Cell(2500, 2m), capped, ct));
        Assert.Equal((Refusal.CellFull, 0L), (full.Reason, full.RemainingPayoutCents));

        var until = _time.Now.AddDays(7).ToUnixTimeMilliseconds();
        await _wallets.ExcludeUntilAsync("0xD", until, ct);
        Assert.Equal(until, await _wallets.ExcludeUntilAsync("0xD", until - 1000, ct)); // cannot be shortened
        var excluded = Assert.IsType<PlaceOutcome.Refused>(await PlaceAsync("0xD", 100, Cell(), ct: ct));
        Assert.Equal((Refusal.SelfExcluded, DateTimeOffset.FromUnixTimeMilliseconds(until)), (excluded.Reason, excluded.ExcludedUntil));
    }
}
