using System.Globalization;
using System.Text.Json;
using Platform.TestSupport;

namespace Platform.Hosting.Publishing.Tests;

/// <summary>
/// The Redis start scripts and probes of the chart and of the Compose file, run for real: the master, its replica and
/// three Sentinels come up from them, the replica syncs, the Sentinels agree and can fail over (and, restarted all at
/// once, find the promoted master), the probes pass with the password they take from the environment and fail without
/// it, and no process shows the password.
/// </summary>
public sealed class StartScriptTests(AppHostOutputs outputs)
{
    private const string Master = "redis-0";
    private const string Replica = "redis-1";
    private static readonly string[] Sentinels = ["redis-sentinel-0", "redis-sentinel-1", "redis-sentinel-2"];
    private static readonly string[] Containers = [Master, Replica, .. Sentinels];

    /// <summary>How long a scripted process may take to come up, or the topology to follow a failover.</summary>
    private static readonly TimeSpan UpTo = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task TheChartsStartScriptsBringUpAReplicatedMasterWithSentinelsThatAgreeAndFailOver()
    {
        var chart = outputs.Chart;
        var starts = Containers.ToDictionary(c => c, c =>
        {
            var statefulSet = chart.Get("StatefulSet", c);
            return new ContainerStart(chart.CommandLine(statefulSet), chart.Environment(statefulSet));
        });
        var probes = Containers.ToDictionary(c => c, c => ExecProbe(RenderedChart.Container(chart.Get("StatefulSet", c)).GetProperty("readinessProbe")));

        await RunTopologyAsync(starts, probes, chart.SecretData("platform-parameters")["redis-password"]);
    }

    [Fact]
    public async Task TheComposeFilesStartScriptsBringUpAReplicatedMasterWithSentinelsThatAgreeAndFailOver()
    {
        var compose = outputs.Compose;
        var starts = Containers.ToDictionary(c => c, c => new ContainerStart(compose.CommandLine(c), compose.Environment(c)));
        var probes = Containers.ToDictionary(c => c, c =>
        {
            var test = compose.Service(c).GetProperty("healthcheck").GetProperty("test");
            Assert.Equal("CMD-SHELL", test[0].GetString());
            return compose.Interpolate(test[1].GetString()!);
        });

        await RunTopologyAsync(starts, probes, compose.Env["REDIS_PASSWORD"]);
    }

    private static string ExecProbe(JsonElement probe)
    {
        var command = probe.GetProperty("exec").GetProperty("command").EnumerateArray().Select(c => c.GetString()!).ToArray();
        Assert.Equal(["/bin/sh", "-c"], command[..2]);
        return command[2];
    }

    /// <summary>A process still starting refuses connections or answers with errors: asked again, its last error named on timeout.</summary>
    private static bool NotUpYet(Exception e) => e is not OperationCanceledException;

    private static async Task RunTopologyAsync(IReadOnlyDictionary<string, ContainerStart> starts, IReadOnlyDictionary<string, string> probes, string password)
    {
        foreach (var probe in probes.Values)
        {
            Assert.Contains("REDISCLI_AUTH=", probe, StringComparison.Ordinal);
            Assert.DoesNotContain(" -a ", probe, StringComparison.Ordinal);
            Assert.DoesNotContain(password, probe, StringComparison.Ordinal);
        }

        await using var topology = ScriptedTopology.Start(starts, password);
        var port = (string c) => topology.Port(c).ToString(CultureInfo.InvariantCulture);

        // Every probe passes once its process is up, and fails with a wrong password: it authenticates, from the environment.
        foreach (var container in starts.Keys)
        {
            await Eventually.UntilAsync(async () => await topology.ProbeAsync(container, probes[container], starts[container].Environment) == 0,
                $"the readiness probe of {container} to pass", Tools.Cancellation, UpTo, topology.Logs, NotUpYet);
            var wrong = new Dictionary<string, string>(starts[container].Environment) { ["REDIS_PASSWORD"] = "not-the-password" };
            Assert.NotEqual(0, await topology.ProbeAsync(container, probes[container], wrong));
        }

        // The replica follows the master.
        await Eventually.UntilAsync(async () => (await topology.CliAsync(Replica, "INFO", "replication")).Contains("master_link_status:up"),
            "the replica's link to the master to be up", Tools.Cancellation, UpTo, topology.Logs, NotUpYet);
        Assert.Equal(["OK"], await topology.CliAsync(Master, "SET", "published:key", "from-the-master"));
        await Eventually.UntilAsync(async () => (await topology.CliAsync(Replica, "GET", "published:key")).SequenceEqual(["from-the-master"]),
            "the replica to have the master's write", Tools.Cancellation, UpTo, topology.Logs, NotUpYet);

        // Each Sentinel names the master, knows the replica and the two other Sentinels, and has its quorum.
        foreach (var sentinel in Sentinels)
        {
            await Eventually.UntilAsync(async () =>
                (await topology.CliAsync(sentinel, "SENTINEL", "get-master-addr-by-name", "mymaster")).SequenceEqual(["localhost", port(Master)])
                && (await topology.CliAsync(sentinel, "SENTINEL", "replicas", "mymaster")).Contains(port(Replica))
                && (await topology.CliAsync(sentinel, "SENTINEL", "ckquorum", "mymaster")).FirstOrDefault()?.StartsWith("OK 3 usable Sentinels", StringComparison.Ordinal) == true,
                $"{sentinel} to name the master and see the replica and two other Sentinels", Tools.Cancellation, UpTo, topology.Logs, NotUpYet);
        }

        // Nobody can read the password off a process list.
        foreach (var pid in topology.ProcessIds)
        {
            Assert.DoesNotContain(password, topology.CommandLineOf(pid), StringComparison.Ordinal);
        }

        // A failover promotes the replica; every Sentinel follows and the old master becomes its replica.
        await Eventually.UntilAsync(async () => (await topology.CliAsync(Sentinels[0], "SENTINEL", "FAILOVER", "mymaster")).SequenceEqual(["OK"]),
            "a Sentinel to accept SENTINEL FAILOVER", Tools.Cancellation, UpTo, topology.Logs, NotUpYet);
        foreach (var sentinel in Sentinels)
        {
            await Eventually.UntilAsync(async () => (await topology.CliAsync(sentinel, "SENTINEL", "get-master-addr-by-name", "mymaster")).SequenceEqual(["localhost", port(Replica)]),
                $"{sentinel} to name the promoted replica as master", Tools.Cancellation, UpTo, topology.Logs, NotUpYet);
        }

        await Eventually.UntilAsync(async () =>
            (await topology.CliAsync(Master, "ROLE")).FirstOrDefault() == "slave"
            && (await topology.CliAsync(Master, "INFO", "replication")).Contains("master_link_status:up"),
            "the old master to replicate from the new one", Tools.Cancellation, UpTo, topology.Logs, NotUpYet);
        Assert.Equal(["master"], (await topology.CliAsync(Replica, "ROLE")).Take(1));

        // Sentinels that all start afresh (an upgrade restarts them together) find the promoted master, not the first one.
        await topology.RestartAsync(Sentinels);
        foreach (var sentinel in Sentinels)
        {
            await Eventually.UntilAsync(async () =>
                (await topology.CliAsync(sentinel, "SENTINEL", "get-master-addr-by-name", "mymaster")).SequenceEqual(["localhost", port(Replica)])
                && (await topology.CliAsync(sentinel, "SENTINEL", "ckquorum", "mymaster")).FirstOrDefault()?.StartsWith("OK 3 usable Sentinels", StringComparison.Ordinal) == true,
                $"{sentinel}, restarted, to name the promoted master and have its quorum", Tools.Cancellation, UpTo, topology.Logs, NotUpYet);
        }
    }
}
