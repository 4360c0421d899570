using System.Diagnostics;
using System.Security.Cryptography;

namespace Platform.TestSupport;

/// <summary>
/// A throw-away PostgreSQL server from Debian's binaries: initdb into a temp folder, a random loopback port, password
/// (scram) authentication, fsync off. Runs as the <c>postgres</c> system user when the tests run as root (PostgreSQL
/// refuses root). Killed and deleted on dispose, and by a watchdog if the test process dies first.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private readonly EventHandler _onExit;
    private Process? _server;
    private Process? _watchdog;
    private int _disposed;

    private PostgresServer(string folder, string password, int port)
    {
        Folder = folder;
        Password = password;
        Port = port;
        _onExit = (_, _) => LocalProcesses.Kill(_server);
        AppDomain.CurrentDomain.ProcessExit += _onExit;
    }

    public string Folder { get; }

    public string Password { get; }

    public int Port { get; }

    public string Username => "postgres";

    /// <summary>Npgsql syntax, as the AppHost hands it to projects.</summary>
    public string ConnectionString(string database = "postgres") =>
        $"Host=127.0.0.1;Port={Port};Username={Username};Password={Password};Database={database}";

    public static async Task<PostgresServer> StartAsync(CancellationToken ct = default)
    {
        var bin = FindBin();
        var folder = Path.Combine(Path.GetTempPath(), "platform-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(folder);
        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
        await File.WriteAllTextAsync(Path.Combine(folder, "pw"), password, ct);
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            await RunAsync("chown", ["-R", "postgres:postgres", folder], ct);
        }

        var server = new PostgresServer(folder, password, LocalProcesses.FreeLoopbackPort());
        try
        {
            var data = Path.Combine(folder, "data");
            await RunAsync(Command(asRoot, Path.Combine(bin, "initdb")),
                Args(asRoot, Path.Combine(bin, "initdb"), "-D", data, "-U", "postgres", "--pwfile", Path.Combine(folder, "pw"),
                    "-A", "scram-sha-256", "-E", "UTF8", "--no-sync"), ct);
            var psi = new ProcessStartInfo(Command(asRoot, Path.Combine(bin, "postgres")))
            {
                UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true,
            };
            foreach (var a in Args(asRoot, Path.Combine(bin, "postgres"), "-D", data, "-p", server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                         "-k", folder, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
                         "-c", "full_page_writes=off", "-c", "max_connections=300"))
            {
                psi.ArgumentList.Add(a);
            }

            server._server = Process.Start(psi) ?? throw new InvalidOperationException("postgres did not start");
            server._server.OutputDataReceived += (_, _) => { };
            server._server.ErrorDataReceived += (_, _) => { };
            server._server.BeginOutputReadLine();
            server._server.BeginErrorReadLine();
            server.StartWatchdog(data);
            await server.WaitReadyAsync(ct);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Creates a database with <c>createdb</c> (idempotence is the caller's business).</summary>
    public async Task CreateDatabaseAsync(string name, CancellationToken ct = default)
    {
        var psi = new ProcessStartInfo(Path.Combine(FindBin(), "createdb")) { UseShellExecute = false, RedirectStandardError = true };
        foreach (var a in new[] { "-h", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", Username, name })
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["PGPASSWORD"] = Password;
        using var p = Process.Start(psi)!;
        var error = await p.StandardError.ReadToEndAsync(ct);
        await p.WaitForExitAsync(ct);
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"createdb {name} failed: {error}");
        }
    }

    private Task WaitReadyAsync(CancellationToken ct)
    {
        var isReady = Path.Combine(FindBin(), "pg_isready");
        return Eventually.UntilAsync(async () =>
        {
            if (_server is { HasExited: true })
            {
                throw new InvalidOperationException($"postgres exited with code {_server.ExitCode}");
            }

            var psi = new ProcessStartInfo(isReady) { UseShellExecute = false, RedirectStandardOutput = true };
            foreach (var a in new[] { "-h", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-q" })
            {
                psi.ArgumentList.Add(a);
            }

            using var p = Process.Start(psi)!;
            await p.WaitForExitAsync(ct);
            return p.ExitCode == 0;
        }, $"PostgreSQL on port {Port} to accept connections", ct, interval: TimeSpan.FromMilliseconds(100));
    }

    private void StartWatchdog(string data) =>
        _watchdog = LocalProcesses.StartWatchdog($"[ -f '{data}/postmaster.pid' ] && kill -9 $(head -n1 '{data}/postmaster.pid') 2>/dev/null", Folder);

    private static string FindBin() =>
        Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb")))
                  .OrderByDescending(d => d, StringComparer.Ordinal).FirstOrDefault()
              ?? throw new InvalidOperationException("initdb not found under /usr/lib/postgresql: apt-get install postgresql")
            : throw new InvalidOperationException("PostgreSQL is not installed: apt-get install postgresql");

    private static string Command(bool asRoot, string binary) => asRoot ? "runuser" : binary;

    private static string[] Args(bool asRoot, string binary, params string[] args) =>
        asRoot ? ["-u", "postgres", "--", binary, .. args] : args;

    private static async Task RunAsync(string file, string[] args, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = await p.StandardError.ReadToEndAsync(ct);
        await stdout;
        await p.WaitForExitAsync(ct);
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({p.ExitCode}): {stderr}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        AppDomain.CurrentDomain.ProcessExit -= _onExit;
        await Task.Run(() => LocalProcesses.Kill(_server));
        _server?.Dispose();
        LocalProcesses.Kill(_watchdog);
        _watchdog?.Dispose();
        LocalProcesses.DeleteFolder(Folder);
    }
}
