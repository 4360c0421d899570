using System.Diagnostics;
using System.Globalization;
using Npgsql;
using Platform.Hosting.ApplicationModel;

namespace Platform.Hosting.Orchestration;

/// <summary>
/// PostgreSQL from Debian's binaries: initdb once into the state folder (kept with WithDataVolume, fresh otherwise),
/// scram-sha-256 password authentication, TCP on loopback only. Runs as the postgres system user when the AppHost is root.
/// </summary>
internal sealed class PostgresRuntime(PostgresServerResource postgres) : ResourceRuntime(postgres, 1)
{
    private const string SystemUser = "postgres";

    public override string Kind => "Postgres";

    public override bool HasHealthProbe => true;

    public PostgresServerResource Postgres => postgres;

    private string _dataDirectory = string.Empty;

    public override async Task PrepareAsync(RunContext context, CancellationToken cancellationToken)
    {
        var dir = context.ResourceDirectory(Postgres, "postgres");
        _dataDirectory = Path.Combine(dir, Postgres.HasDataVolume ? "data" : "run-data");
        if (!Postgres.HasDataVolume && Directory.Exists(_dataDirectory))
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }

        if (File.Exists(Path.Combine(_dataDirectory, "PG_VERSION")))
        {
            return;
        }

        var initdb = Executables.Find("initdb", "postgresql", Executables.PostgresBinDirectories());
        Directory.CreateDirectory(_dataDirectory);
        var passwordFile = Path.Combine(dir, ".pwfile");
        await File.WriteAllTextAsync(passwordFile, Postgres.PasswordParameter.Value, cancellationToken).ConfigureAwait(false);
        Files.SetMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        try
        {
            if (context.IsRoot)
            {
                await RunAsync("chown", ["-R", $"{SystemUser}:{SystemUser}", dir], cancellationToken).ConfigureAwait(false);
            }

            Files.SetMode(_dataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            string[] args = [initdb, "-D", _dataDirectory, "-U", Postgres.UserName, $"--pwfile={passwordFile}", "--auth=scram-sha-256", "--encoding=UTF8", "--no-sync", "--no-instructions"];
            var output = context.IsRoot
                ? await RunAsync("runuser", ["-u", SystemUser, "--", .. args], cancellationToken).ConfigureAwait(false)
                : await RunAsync(args[0], args[1..], cancellationToken).ConfigureAwait(false);
            Instances[0].Log.Write(output.TrimEnd(), isError: false, isSystem: true);
        }
        catch (DistributedApplicationException)
        {
            // A half-initialised folder would be reused as is next time.
            Directory.Delete(_dataDirectory, recursive: true);
            throw;
        }
        finally
        {
            File.Delete(passwordFile);
        }
    }

    public override Task<LaunchSpec> CreateLaunchSpecAsync(InstanceRuntime instance, RunContext context, CancellationToken cancellationToken)
    {
        var server = Executables.Find("postgres", "postgresql", Executables.PostgresBinDirectories());
        var port = PortOf(instance, PostgresServerResource.PrimaryEndpointName).ToString(CultureInfo.InvariantCulture);
        string[] args = ["-D", _dataDirectory, "-p", port, "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "logging_collector=off"];
        // SIGINT is PostgreSQL's fast shutdown (SIGTERM would wait for every client to disconnect).
        return Task.FromResult(new LaunchSpec(server, args, _dataDirectory, Native.SIGINT) { RunAsUser = context.IsRoot ? SystemUser : null });
    }

    public override async Task<HealthResult> ProbeAsync(InstanceRuntime instance, RunContext context, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(await AdminConnectionStringAsync("postgres", cancellationToken).ConfigureAwait(false));
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("SELECT 1", connection);
        await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return HealthResult.Ok;
    }

    internal async Task<string> AdminConnectionStringAsync(string database, CancellationToken cancellationToken) =>
        new NpgsqlConnectionStringBuilder(await Postgres.ConnectionStringExpression.GetValueAsync(cancellationToken).ConfigureAwait(false))
        {
            Database = database,
            Pooling = false,
            Timeout = 3,
        }.ConnectionString;

    private static async Task<string> RunAsync(string file, IEnumerable<string> args, CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi) ?? throw new DistributedApplicationException($"Could not start {file}.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        var output = await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false);
        return process.ExitCode == 0 ? output
            : throw new DistributedApplicationException($"{Path.GetFileName(file)} {string.Join(' ', args.Take(4))} failed with exit code {process.ExitCode}: {output.Trim()}");
    }
}

/// <summary>A database created on its server once the server is healthy.</summary>
internal sealed class PostgresDatabaseRuntime(PostgresDatabaseResource database, Func<PostgresRuntime> server) : ResourceRuntime(database, 1)
{
    public override string Kind => "PostgresDatabase";

    public override bool HasProcess => false;

    public override bool HasHealthProbe => true;

    public override string? ContainerImage => null;

    public override async Task RunInlineAsync(InstanceRuntime instance, RunContext context, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(await server().AdminConnectionStringAsync("postgres", cancellationToken).ConfigureAwait(false));
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @name", connection);
        exists.Parameters.AddWithValue("name", database.DatabaseName);
        if (await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is null)
        {
            var quoted = "\"" + database.DatabaseName.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
            await using var create = new NpgsqlCommand($"CREATE DATABASE {quoted}", connection);
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            instance.Log.Write($"created database {database.DatabaseName}", isError: false, isSystem: true);
        }
    }

    public override async Task<HealthResult> ProbeAsync(InstanceRuntime instance, RunContext context, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(await server().AdminConnectionStringAsync(database.DatabaseName, cancellationToken).ConfigureAwait(false));
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("SELECT 1", connection);
        await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return HealthResult.Ok;
    }
}
