using System.Diagnostics;
using System.Text.RegularExpressions;
using Web.Frontend.Tests.Infrastructure;

namespace Web.Frontend.Tests;

/// <summary>The client's pure TypeScript modules (sync engine, room revisions, voice negotiation rules, permission notes,
/// the betting page's windows, feed, history and refusals) have unit tests on node's own test runner (node --test).</summary>
public sealed partial class ClientNodeTests
{
    [Fact]
    public async Task EveryClientUnitTestPassesUnderNodeTestRunner()
    {
        var ct = TestContext.Current.CancellationToken;
        var tsc = await RunAsync("node", ["node_modules/typescript/bin/tsc", "-p", "tsconfig.tests.json"], ct);
        Assert.True(tsc.ExitCode == 0, "tsc failed:\n" + tsc.Output);

        var run = await RunAsync("node", ["--test", "--test-reporter=tap", "dist-tests/"], ct);
        Assert.True(run.ExitCode == 0, "node --test failed:\n" + run.Output);
        var passed = int.Parse(PassCount().Match(run.Output).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var failed = int.Parse(FailCount().Match(run.Output).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        TestContext.Current.SendDiagnosticMessage($"node --test: {passed} passed, {failed} failed");
        Assert.Equal(0, failed);
        Assert.True(passed >= 73, $"expected every node suite to run, saw {passed} tests:\n{run.Output}");
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
