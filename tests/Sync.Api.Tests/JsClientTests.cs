using System.Diagnostics;
using System.Text.Json;

namespace Sync.Api.Tests;

/// <summary>The hub contract as the browser sees it: the official @microsoft/signalr client, run with node.</summary>
public sealed class JsClientTests(SyncCluster cluster)
{
    [Fact]
    public async Task OfficialJsClientDrivesTheRoomAcrossInstancesWithTypedResults()
    {
        using var doc = JsonDocument.Parse(await RunNodeAsync("contract.mjs", cluster.Urls[0].ToString(), cluster.Urls[1].ToString()));
        var r = doc.RootElement;

        Assert.Equal(r.GetProperty("hostSeq").GetInt64(), r.GetProperty("guestSeq").GetInt64());
        Assert.Equal(5000, r.GetProperty("guestPosition").GetDouble());
        Assert.Equal(ErrorCodes.SeekOutOfRange, r.GetProperty("badCode").GetString());
        Assert.Equal(ErrorCodes.Stale, r.GetProperty("staleCode").GetString());
        Assert.Equal(r.GetProperty("hostSeq").GetInt64(), r.GetProperty("staleValueSeq").GetInt64());
        Assert.True(r.GetProperty("chatOk").GetBoolean());
        Assert.Equal("hello from node", r.GetProperty("chatText").GetString());
        Assert.Equal("js-guest", r.GetProperty("chatFrom").GetString());
    }

    private static async Task<string> RunNodeAsync(string script, params string[] args)
    {
        var folder = FindTestFolder();
        if (!File.Exists(Path.Combine(folder, "node_modules", "@microsoft", "signalr", "package.json")))
        {
            throw new InvalidOperationException($"@microsoft/signalr is not installed: run `npm ci` in {folder} (./platform setup does).");
        }

        var psi = new ProcessStartInfo("node") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine("js", script));
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        using var node = Process.Start(psi)!;
        var ct = TestContext.Current.CancellationToken;
        var stdout = node.StandardOutput.ReadToEndAsync(ct);
        var stderr = node.StandardError.ReadToEndAsync(ct);
        try
        {
            await node.WaitForExitAsync(ct).WaitAsync(TimeSpan.FromSeconds(60), ct);
        }
        finally
        {
            if (!node.HasExited)
            {
                node.Kill(entireProcessTree: true);
            }
        }

        var output = await stdout;
        Assert.True(node.ExitCode == 0, $"node {script} exited with {node.ExitCode}: {await stderr}\n{output}");
        return output.Trim().Split('\n')[^1];
    }

    private static string FindTestFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "js", "contract.mjs")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("tests/Sync.Api.Tests (js/contract.mjs) not found above " + AppContext.BaseDirectory);
    }
}
