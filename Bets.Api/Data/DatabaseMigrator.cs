using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Bets.Api.Data;

/// <summary>
/// Brings the database to the latest schema before the app takes requests (hosted services start before the server
/// listens). A file from a newer release stops the start with <see cref="SchemaTooNewException"/>.
/// </summary>
internal sealed partial class DatabaseMigrator(BetsDatabase db, ILogger<DatabaseMigrator> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var result = await db.MigrateAsync(cancellationToken);
        if (result.From != result.To)
        {
            LogMigrated(logger, db.DataSource, result.From, result.To);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Migrated the betting database {DataSource} from schema version {From} to {To}")]
    private static partial void LogMigrated(ILogger logger, string dataSource, int from, int to);
}

/// <summary>Readiness: the SQLite file opens and answers.</summary>
internal sealed class SqliteHealthCheck(BetsDatabase db) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var connection = await db.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT COUNT(*) FROM wallets LIMIT 1";
            await command.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (SqliteException e)
        {
            return HealthCheckResult.Unhealthy($"SQLite {db.DataSource}: {e.Message}", e);
        }
    }
}
