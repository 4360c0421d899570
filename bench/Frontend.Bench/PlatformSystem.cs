using Platform.TestSupport;

namespace Web.Frontend.Tests.Infrastructure;

/// <summary>
/// The whole system the browser needs, each project started as the AppHost starts it (<c>dotnet &lt;dll&gt;</c> with
/// Aspire-style environment): Redis with a replica and Sentinels, PostgreSQL, Prices.Ingest (its simulated feed),
/// Bets.Api, Sync.Api and Web.Frontend, for the benchmark (the end-to-end tests start the real AppHost through the
/// testing builder instead).
/// </summary>
public sealed class PlatformSystem : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _owned = [];
    private readonly string _folder = Directory.CreateTempSubdirectory("web-frontend-tests-").FullName;

    public Uri FrontendUrl { get; private set; } = null!;

    public ProjectProcess[] Projects { get; private set; } = [];

    /// <summary>Keep the run's temp folder (the bets SQLite file) after disposal, for a post-mortem.</summary>
    public bool KeepFolder { get; set; }

    public async Task StartAsync(CancellationToken ct)
    {
        var redisTask = RedisTopology.StartAsync(new RedisTopologyOptions { Replicas = 1, Sentinels = 3 }, ct);
        var postgres = await PostgresServer.StartAsync(ct);
        _owned.Add(postgres);
        await postgres.CreateDatabaseAsync("syncdb", ct);
        var redis = await redisTask;
        _owned.Add(redis);

        var frontendPort = Repo.FreePort();
        var redisEnv = new Dictionary<string, string> { ["ConnectionStrings__redis"] = redis.ConnectionString };
        var prices = ProjectProcess.StartAsync("Prices.Ingest", redisEnv, ct);
        var bets = ProjectProcess.StartAsync("Bets.Api", new Dictionary<string, string>(redisEnv)
        {
            ["ConnectionStrings__betsdb"] = $"Data Source={Path.Combine(_folder, "bets.db")}",
            // Sign-in messages name the site the user signs in to: the frontend's host.
            ["Auth__Domain"] = $"127.0.0.1:{frontendPort}",
        }, ct);
        var sync = ProjectProcess.StartAsync("Sync.Api", new Dictionary<string, string>(redisEnv)
        {
            ["ConnectionStrings__syncdb"] = postgres.ConnectionString("syncdb"),
        }, ct);
        // Every process is owned as soon as it runs, so a failure further on still stops it.
        var started = new List<ProjectProcess>();
        Exception? failure = null;
        foreach (var task in new[] { prices, bets, sync })
        {
            try
            {
                var process = await task;
                started.Add(process);
                _owned.Insert(0, process);
            }
            catch (Exception e)
            {
                failure ??= e;
            }
        }

        if (failure is not null)
        {
            await DisposeAsync();
            throw failure;
        }

        ProjectProcess frontend;
        try
        {
            frontend = await ProjectProcess.StartAsync("Web.Frontend", new Dictionary<string, string>
            {
                ["services__sync-api__http__0"] = started[2].Url.ToString(),
                ["services__bets-api__http__0"] = started[1].Url.ToString(),
            }, ct, frontendPort);
        }
        catch
        {
            await DisposeAsync();
            throw;
        }

        started.Add(frontend);
        _owned.Insert(0, frontend);
        Projects = [.. started];
        FrontendUrl = frontend.Url;
    }

    /// <summary>Every project's output, for a failure message.</summary>
    public string Logs() => string.Join("\n", Projects.Select(p => $"---- {p.Name} ----\n{p.Output}"));

    public async ValueTask DisposeAsync()
    {
        foreach (var owned in _owned)
        {
            await owned.DisposeAsync();
        }

        _owned.Clear();

        try
        {
            if (!KeepFolder) Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
