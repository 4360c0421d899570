using Bets.Api.Data;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Bets.Api.Tests;

public sealed class MigrationTests(BetsFixture fixture) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bets-migrations-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private string File(string name) => Path.Combine(_dir, name);

    private static async Task<long> VersionAsync(string file)
    {
        await using var c = new SqliteConnection($"Data Source={file};Pooling=false");
        return await c.ExecuteScalarAsync<long>("PRAGMA user_version");
    }

    /// <summary>The schema the releases before versioned migrations created: today's version 1, with user_version left at 0.</summary>
    private static async Task CreateUnversionedAsync(string file)
    {
        var v1 = Migrations.All[0].Sql;
        await using var c = new SqliteConnection($"Data Source={file};Pooling=false");
        await c.ExecuteAsync(v1);
        await c.ExecuteAsync("""
            INSERT INTO wallets (wallet, balance, created_at) VALUES ('0xOLD', 700, 1);
            INSERT INTO ledger (wallet, amount, kind, balance_after, created_at) VALUES ('0xOLD', 700, 'faucet', 700, 1);
            INSERT INTO idempotency (wallet, key, fingerprint, status_code, content_type, body, created_at) VALUES ('0xOLD', 'k', 'f', 201, 'application/json', '{}', 1);
            """);
    }

    [Fact]
    public async Task AFreshFileIsMigratedToTheLatestVersion()
    {
        var ct = TestContext.Current.CancellationToken;
        using var db = new BetsDatabase($"Data Source={File("fresh.db")}");
        var result = await db.MigrateAsync(ct);

        Assert.Equal(new MigrationResult(0, Migrations.Latest), result);
        Assert.Equal(Migrations.Latest, await VersionAsync(db.DataSource));
        await using var c = await db.OpenAsync(ct);
        var tables = (await c.QueryAsync<string>("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")).ToList();
        Assert.Superset(new HashSet<string> { "bets", "cell_exposure", "idempotency", "ledger", "wallets" }, tables.ToHashSet());
        Assert.Equal(new MigrationResult(Migrations.Latest, Migrations.Latest), await db.MigrateAsync(ct)); // a second start changes nothing
    }

    [Fact]
    public async Task AFileFromTheUnversionedSchemaIsVersionOneAndUpgradesKeepingItsData()
    {
        var ct = TestContext.Current.CancellationToken;
        var file = File("legacy.db");
        await CreateUnversionedAsync(file);
        Assert.Equal(0, await VersionAsync(file));
        // A later migration, as the next schema change will be: it must run once, after version 1, and keep the data.
        var next = Migrations.All.Append(new Migration(Migrations.Latest + 1, "a note per wallet",
            "ALTER TABLE wallets ADD COLUMN note TEXT NULL; UPDATE wallets SET note = 'kept';")).ToList();

        using var db = new BetsDatabase($"Data Source={file}");
        var result = await db.MigrateAsync(next, ct);

        Assert.Equal(new MigrationResult(1, next.Count), result);
        Assert.Equal(next.Count, await VersionAsync(file));
        await using var c = await db.OpenAsync(ct);
        Assert.Equal((700L, "kept"), await c.QuerySingleAsync<(long, string)>("SELECT balance, note FROM wallets WHERE wallet = '0xOLD'"));
        Assert.Equal(1, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM ledger WHERE wallet = '0xOLD'"));
        Assert.Equal(1, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM idempotency WHERE wallet = '0xOLD'"));
        Assert.Equal(new MigrationResult(next.Count, next.Count), await db.MigrateAsync(next, ct)); // not applied twice
    }

    [Fact]
    public async Task AMigrationThatFailsLeavesTheFileAtTheVersionBeforeIt()
    {
        var ct = TestContext.Current.CancellationToken;
        using var db = new BetsDatabase($"Data Source={File("failing.db")}");
        var broken = Migrations.All.Append(new Migration(Migrations.Latest + 1, "half of a change",
            "CREATE TABLE half (id INTEGER); INSERT INTO no_such_table VALUES (1);")).ToList();

        await Assert.ThrowsAsync<SqliteException>(() => db.MigrateAsync(broken, ct));

        Assert.Equal(Migrations.Latest, await VersionAsync(db.DataSource));
        await using var c = await db.OpenAsync(ct);
        Assert.Equal(0, await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM sqlite_schema WHERE name = 'half'"));
    }

    [Fact]
    public async Task AFileFromANewerReleaseRefusesToStartAndSaysWhy()
    {
        var ct = TestContext.Current.CancellationToken;
        var file = File("newer.db");
        using (var db = new BetsDatabase($"Data Source={file}"))
        {
            await db.MigrateAsync(ct);
        }

        await using (var c = new SqliteConnection($"Data Source={file};Pooling=false"))
        {
            await c.ExecuteAsync($"PRAGMA user_version = {Migrations.Latest + 41}");
        }

        var refused = await Assert.ThrowsAsync<SchemaTooNewException>(async () =>
        {
            await using var host = await BetsHost.StartAsync(fixture.Redis.ConnectionString, file);
        });

        Assert.Equal(Migrations.Latest + 41, refused.Version);
        Assert.Contains($"schema version {Migrations.Latest + 41}", refused.Message, StringComparison.Ordinal);
        Assert.Contains("newer release", refused.Message, StringComparison.Ordinal);
        Assert.Equal(Migrations.Latest + 41, await VersionAsync(file)); // left as it was
    }
}
