using System.Diagnostics;
using System.Text.RegularExpressions;
using Web.Frontend.Tests.Infrastructure;

namespace Web.Frontend.Tests;

/// <summary>The sync engine and the room revision filter are pure TypeScript modules; their unit tests run on node's
/// own test runner (node --test).</summary>
public sealed partial class SyncEngineNodeTests
{
    [Fact]
    public async Task EverySyncEngineUnitTestPassesUnderNodeTestRunner()
    {
        var ct = TestContext.Current.CancellationToken;
        var tsc = await RunAsync("node", ["node_modules/typescript/bin/tsc", "-p", "tsconfig.tests.json"], ct);
        Assert.True(tsc.ExitCode == 0, "tsc failed:\n" + tsc.Output);

        var run = await RunAsync("node", ["--test", "--test-reporter=tap", "dist-tests/sync/engine.test.js", "dist-tests/sync/revisions.test.js"], ct);
        Assert.True(run.ExitCode == 0, "node --test failed:\n" + run.Output);
        var passed = int.Parse(PassCount().Match(run.Output).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var failed = int.Parse(FailCount().Match(run.Output).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        TestContext.Current.SendDiagnosticMessage($"node --test: {passed} passed, {failed} failed");
        Assert.Equal(0, failed);
        Assert.True(passed >= 34, $"expected both node suites to run, saw {passed} tests:\n{run.Output}");
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, string[] args, CancellationToken ct)
    {
        var info = new ProcessStartInfo(file, args)
        {
            WorkingDirectory = Repo.ClientApp,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        try
        {
            await process.WaitForExitAsync(ct).WaitAsync(TimeSpan.FromSeconds(120), ct);
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout + await stderr);
    }

    [GeneratedRegex(@"^# pass (\d+)", RegexOptions.Multiline)]
    private static partial Regex PassCount();

    [GeneratedRegex(@"^# fail (\d+)", RegexOptions.Multiline)]
    private static partial Regex FailCount();
}
