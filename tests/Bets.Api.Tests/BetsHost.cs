using Bets.Api.Bets;
using Bets.Api.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Bets.Api.Tests;

/// <summary>One Bets.Api instance: its real Program.cs on real Kestrel (127.0.0.1, random port), see <see cref="RunningProgram"/>.</summary>
public sealed class BetsHost : IAsyncDisposable
{
    public const string Domain = "bets.test";
    private readonly RunningProgram _program;

    private BetsHost(RunningProgram program)
    {
        _program = program;
        Http = new HttpClient { BaseAddress = program.Address, Timeout = TimeSpan.FromSeconds(30) };
    }

    public Uri Address => _program.Address;
    public HttpClient Http { get; }
    public T Get<T>() where T : notnull => _program.Services.GetRequiredService<T>();

    public static async Task<BetsHost> StartAsync(
        string redis, string database, IDictionary<string, string?>? settings = null, string environment = "Development", TimeProvider? time = null,
        Action<IServiceCollection>? services = null)
    {
        var config = new Dictionary<string, string?>
        {
            ["ConnectionStrings:redis"] = redis,
            ["ConnectionStrings:betsdb"] = $"Data Source={database}",
            ["Auth:Domain"] = Domain,
            ["Auth:Uri"] = $"https://{Domain}",
            ["Auth:ChainId"] = "1",
            ["Betting:RateLimitPerMinute"] = "10000",
            // A fixed volatility keeps multipliers (and so exposure) independent of the prices other tests publish.
            ["Grid:MinAnnualVolatility"] = "0.6",
            ["Grid:MaxAnnualVolatility"] = "0.6",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Error",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
        {
            config[k] = v;
        }

        var program = await RunningProgram.StartAsync(typeof(BetsApi).Assembly, environment, config,
            s =>
            {
                if (time is not null)
                {
                    s.AddSingleton(time);
                }

                services?.Invoke(s);
            });
        return new BetsHost(program);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _program.DisposeAsync();
    }
}
