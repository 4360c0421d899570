using System.Net.Http.Json;
using Microsoft.Extensions.Logging;

namespace Sync.Api.Tests;

/// <summary>The AppHost starts Sync.Api beside PostgreSQL, so its database may not exist yet when it starts.</summary>
public sealed class StartupTests(SyncCluster cluster)
{
    [Fact]
    public async Task AnInstanceStartedBeforeItsDatabaseExistsMigratesOnceTheDatabaseIsCreatedAndServes()
    {
        var ct = TestContext.Current.CancellationToken;
        var database = "late_" + Guid.NewGuid().ToString("N")[..8];
        var waiting = new FirstRetry();
        var starting = SyncCluster.StartInstanceAsync(cluster.Redis.ConnectionString, cluster.Postgres.ConnectionString(database), ct,
            configure: builder => builder.Logging.AddProvider(waiting));

        // Created only once the instance has found it missing, so the retry is what brings the instance up.
        await waiting.Seen.Task.WaitAsync(SyncCluster.Timeout, ct);
        Assert.False(starting.IsCompleted);
        await cluster.Postgres.CreateDatabaseAsync(database, ct);
        var app = await starting.WaitAsync(TimeSpan.FromSeconds(30), ct);
        try
        {
            var url = app.Urls.First();
            using var http = new HttpClient();
            var response = await http.PostAsJsonAsync(new Uri(new Uri(url), "/api/sessions"), new { displayName = "early" }, ct);
            Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
        }
    }

    private sealed class FirstRetry : ILoggerProvider
    {
        public TaskCompletionSource Seen { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, Seen);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, TaskCompletionSource seen) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (category.EndsWith(".Migrations", StringComparison.Ordinal) && formatter(state, exception).Contains("does not exist", StringComparison.Ordinal))
                {
                    seen.TrySetResult();
                }
            }
        }
    }
}
