using System.Globalization;
using Bets.Api.Bets;
using Bets.Api.Data;
using Bets.Api.Testing;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Bets.Api.Bench;

internal static class Stats
{
    public static double Percentile(IReadOnlyCollection<double> values, double p)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
    }
}

/// <summary>The process's garbage collections, to report those of one phase.</summary>
internal readonly record struct GcCounts(int Gen0, int Gen1, int Gen2, TimeSpan Paused, long Allocated)
{
    public static GcCounts Now() =>
        new(GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration(), GC.GetTotalAllocatedBytes());

    public string Since(GcCounts before, int bets, string loop)
    {
        var collections = Gen0 - before.Gen0;
        var paused = (Paused - before.Paused).TotalMilliseconds;
        return string.Create(CultureInfo.InvariantCulture,
            $"  GC in the {loop} loop: gen0 {collections} gen1 {Gen1 - before.Gen1} gen2 {Gen2 - before.Gen2}, paused {paused:0.0} ms "
            + $"({(collections == 0 ? 0 : paused / collections):0.0} ms per collection), {(Allocated - before.Allocated) / bets / 1024.0:0.0} KB allocated per bet (client and server)");
    }
}

internal static class Prices
{
    public static async Task PublishAsync(ConnectionMultiplexer redis, decimal price)
    {
        var ts = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var p = price.ToString(CultureInfo.InvariantCulture);
        var json = $$"""{"symbol":"BTC/USD","price":"{{p}}","timestamp":{{ts}},"status":"ok","sources":[],"writer":"bench","seq":{{ts}},"id":"bench:{{ts}}"}""";
        var db = redis.GetDatabase();
        await db.StringSetAsync("price:btc:usd", json, TimeSpan.FromHours(1));
        await db.SortedSetAddAsync("prices:btc:usd:ts", $"{p}:bench:{ts}", ts);
        await db.PublishAsync(RedisChannel.Literal("prices:btc:usd"), json);
    }
}

internal static class Peer
{
    public static async Task<double> SqliteTransactionsPerSecondAsync(string file, int count)
    {
        using var db = new BetsDatabase($"Data Source={file}");
        await db.MigrateAsync();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            await db.WriteAsync((c, tx) => c.ExecuteAsync(
                "INSERT INTO wallets (wallet, balance, created_at) VALUES (@w, 0, 0)", new { w = "peer" + i.ToString(CultureInfo.InvariantCulture) }, tx));
        }
        SqliteConnection.ClearAllPools();
        return count / sw.Elapsed.TotalSeconds;
    }
}

/// <summary>Bets.Api's real Program.cs in this process (see RunningProgram), with the bench's settings.</summary>
internal sealed class BenchHost : IAsyncDisposable
{
    private readonly RunningProgram _program;
    private BenchHost(RunningProgram program) => _program = program;
    public Uri Address => _program.Address;
    public T Get<T>() where T : notnull => _program.Services.GetRequiredService<T>();

    public static async Task<BenchHost> StartAsync(string redis, string database) =>
        new(await RunningProgram.StartAsync(typeof(BetsApi).Assembly, "Production", new Dictionary<string, string?>
        {
            ["ConnectionStrings:redis"] = redis,
            ["ConnectionStrings:betsdb"] = $"Data Source={database}",
            ["Auth:Domain"] = "bench.local",
            ["Betting:RateLimitPerMinute"] = "100000",
            ["Grid:MaxCellExposure"] = "9000000000000",
            ["Logging:LogLevel:Default"] = "Warning",
        }));

    public ValueTask DisposeAsync() => _program.DisposeAsync();
}
