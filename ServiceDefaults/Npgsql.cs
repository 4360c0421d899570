using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Microsoft.Extensions.Hosting;

/// <summary>Aspire.Npgsql's registration, which is not in the package source: one pooled data source per name.</summary>
public static class NpgsqlExtensions
{
    public static IHostApplicationBuilder AddNpgsqlDataSource(this IHostApplicationBuilder builder, string connectionName,
        Action<NpgsqlDataSourceBuilder>? configure = null)
    {
        var connectionString = builder.Configuration.GetConnectionString(connectionName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                $"The connection string '{connectionName}' is missing: set ConnectionStrings:{connectionName} " +
                $"(environment variable ConnectionStrings__{connectionName}).");
        }

        builder.Services.AddSingleton(_ =>
        {
            var dataSource = new NpgsqlDataSourceBuilder(connectionString);
            configure?.Invoke(dataSource);
            return dataSource.Build();
        });
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            $"postgres-{connectionName}",
            sp => new NpgsqlHealthCheck(sp.GetRequiredService<NpgsqlDataSource>()),
            HealthStatus.Unhealthy,
            ["ready"],
            TimeSpan.FromSeconds(5)));
        return builder;
    }

    private sealed class NpgsqlHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                await using var command = dataSource.CreateCommand("SELECT 1");
                await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
                return HealthCheckResult.Healthy();
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
            {
                return HealthCheckResult.Unhealthy("PostgreSQL did not answer SELECT 1.", ex);
            }
        }
    }
}
