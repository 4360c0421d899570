using System.Diagnostics;
using Aspire.Hosting.Testing;
using Platform.TestSupport;

namespace Platform.Hosting.Tests;

public class LifecycleTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AProjectThatExitsAtStartFailsTheStartWithAMessageThatNamesItAndItsDependent()
    {
        // A model of its own (this project references Aspire.Hosting.AppHost, which tells Create where DCP is).
#pragma warning disable CA1849 // Create builds an empty model; the CreateAsync overloads run an AppHost's Program.
        var builder = DistributedApplicationTestingBuilder.Create();
#pragma warning restore CA1849
        builder.WithPlatformTestDefaults();
        // As in the AppHost, dependents wait for the service's health check, so they never see it ready.
        var crashing = builder.AddProject("crashing", Path.Combine(Repo.Root, "tests/TestProjects/Hosting.CrashingApp/Hosting.CrashingApp.csproj"))
            .WithHttpEndpoint(name: "http").WithHttpHealthCheck("/health");
        builder.AddExecutable("dependent", "sleep", ".", "60").WaitFor(crashing);
        await using var app = await builder.BuildAsync(Token);

        var ex = await Assert.ThrowsAsync<DistributedApplicationStartException>(() => app.StartAndWaitForHealthyAsync(TimeSpan.FromMinutes(2), Token));

        Assert.Contains("'crashing", ex.Message, StringComparison.Ordinal);
        Assert.Contains("exit code 3", ex.Message, StringComparison.Ordinal);
        // The start helper shows the crashed process's own last words.
        Assert.Contains("Crash:Reason", ex.Message, StringComparison.Ordinal);
        Assert.Matches(@"- dependent-\w+: Waiting", ex.Message);
    }

    [Fact]
    public async Task AfterDisposeNoProcessOfTheApplicationRemains()
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(Token);
        builder.WithPlatformTestDefaults();
        var app = await builder.BuildAsync(Token);
        await app.StartAndWaitForHealthyAsync(TimeSpan.FromMinutes(3), Token);
        string[] resources = ["redis-0", "redis-1", "redis-sentinel-0", "redis-sentinel-1", "redis-sentinel-2", "postgres-process",
            "prices-ingest", "bets-api", "sync-api", "web"];
        var pids = new List<int>();
        foreach (var name in resources)
        {
            pids.AddRange(await app.ProcessIdsAsync(name, Token));
        }

        // DCP's own processes watch this test process.
        pids.AddRange(Process.GetProcessesByName("dcp").Where(IsChildOfThisTestProcess).Select(p => p.Id));
        Assert.True(pids.Count >= resources.Length + 1, $"found only {pids.Count} processes");

        await app.DisposeAsync();

        await Eventually.UntilAsync(() => pids.All(HasExited), "every process to exit after dispose", TestContext.Current.CancellationToken, TimeSpan.FromSeconds(120),
            () => $"still running: {string.Join(", ", pids.Where(p => !HasExited(p)).Select(Describe))}");
    }

    private static bool IsChildOfThisTestProcess(Process process)
    {
        var cmdline = File.ReadAllText($"/proc/{process.Id}/cmdline");
        return cmdline.Contains($"--monitor\0{Environment.ProcessId}\0", StringComparison.Ordinal);
    }

    private static bool HasExited(int pid)
    {
        // A zombie waits only for its parent to reap it: it no longer runs.
        var stat = $"/proc/{pid}/stat";
        return !File.Exists(stat) || File.ReadAllText(stat).Split(' ')[2] == "Z";
    }

    private static string Describe(int pid) =>
        File.Exists($"/proc/{pid}/cmdline") ? $"{pid} {File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ')}" : pid.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
