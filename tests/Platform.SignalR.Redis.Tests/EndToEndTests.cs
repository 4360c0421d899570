using System.Diagnostics;
using System.Text.Json;
using Platform.SignalR.Redis.Tests.Infrastructure;

namespace Platform.SignalR.Redis.Tests;

/// <summary>Two Kestrel servers with the backplane and the official @microsoft/signalr client run with node.</summary>
public sealed class EndToEndTests(RedisFixture redis)
{
    [Fact]
    public async Task AGroupBroadcastFromAClientOnServerAReachesClientsOnServerB()
    {
        var prefix = "e2e" + Guid.NewGuid().ToString("N")[..8];
        await using var serverA = await ChatServer.StartAsync(redis.ConnectionString, prefix);
        await using var serverB = await ChatServer.StartAsync(redis.ConnectionString, prefix);

        var output = await RunNodeAsync("e2e.mjs", serverA.Url, serverB.Url);

        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        Assert.Equal("hello from A", root.GetProperty("onA").GetString());
        Assert.Equal("hello from A", root.GetProperty("onB").GetString());
        Assert.Equal("direct", root.GetProperty("onB2").GetString());
        Assert.Equal("answer to life", root.GetProperty("answer").GetString());
        Assert.Contains("Connection 'no-such-connection' does not exist.", root.GetProperty("unknown").GetString(), StringComparison.Ordinal);
    }

    internal static string ScriptFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "package.json")) && Directory.Exists(Path.Combine(dir.FullName, "js")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("The test project folder (package.json) was not found above " + AppContext.BaseDirectory);
    }

    internal static async Task<string> RunNodeAsync(string script, params string[] args)
    {
        var folder = ScriptFolder();
        if (!Directory.Exists(Path.Combine(folder, "node_modules", "@microsoft", "signalr")))
        {
            throw new InvalidOperationException($"Run `npm ci` in {folder} (./platform setup does it) before the end-to-end tests.");
        }

        var start = new ProcessStartInfo("node") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine("js", script));
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        try
        {
            await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        var output = await stdout;
        Assert.True(process.ExitCode == 0, $"node {script} failed ({process.ExitCode}): {await stderr}\n{output}");
        return output.Trim().Split('\n')[^1];
    }
}
