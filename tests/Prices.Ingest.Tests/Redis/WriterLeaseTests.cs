using System.Collections.Concurrent;
using System.Diagnostics;
using Platform.Prices.Contracts;
using Platform.TestSupport;
using Prices.Ingest.Publishing;
using static Prices.Ingest.Tests.Fakes.TestTimeouts;

namespace Prices.Ingest.Tests.Redis;

[Collection(RedisCollection.Name)]
public sealed class WriterLeaseTests(RedisFixture redis)
{
    private static PriceMessage Message(string writer, long seq) =>
        new("BTC/USD", 64000m + seq, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), "ok", [], writer, seq);

    [Fact]
    public async Task OnlyTheLeaseholderCanWriteAndAFormerHolderIsFencedOut()
    {
        await redis.ResetAsync();
        var (a, aPublisher, _) = redis.Writer("lease-a", TimeSpan.FromSeconds(1));
        var (b, bPublisher, _) = redis.Writer("lease-b", TimeSpan.FromSeconds(1));

        Assert.True(await a.TryAcquireOrRenewAsync().WaitAsync(Wait, Ct));
        Assert.False(await b.TryAcquireOrRenewAsync().WaitAsync(Wait, Ct));
        Assert.True(a.IsHeld);
        Assert.False(b.IsHeld);
        Assert.Equal(PublishOutcome.Published, (await aPublisher.PublishAsync(Message("lease-a", 1), Ct).WaitAsync(Wait, Ct)).Outcome);
        Assert.Equal(PublishOutcome.NotLeaseholder, (await bPublisher.PublishAsync(Message("lease-b", 1), Ct).WaitAsync(Wait, Ct)).Outcome);
        Assert.Equal(1, await redis.Client.GetDatabase().SortedSetLengthAsync("prices:btc:usd:ts").WaitAsync(Wait, Ct));

        // a stops renewing (a long GC pause, a partition): b takes the lease once it expires, and a's late write is refused.
        await Eventually.UntilAsync(() => b.TryAcquireOrRenewAsync(), "b to take the expired lease", TestContext.Current.CancellationToken);
        Assert.False(a.IsHeld);
        Assert.Equal(PublishOutcome.NotLeaseholder, (await aPublisher.PublishAsync(Message("lease-a", 2), Ct).WaitAsync(Wait, Ct)).Outcome);
        Assert.False(await a.TryAcquireOrRenewAsync().WaitAsync(Wait, Ct));
        Assert.Equal("lease-b", (string?)await redis.Client.GetDatabase().StringGetAsync("prices:btc:usd:writer").WaitAsync(Wait, Ct));
        var members = await redis.Client.GetDatabase().SortedSetRangeByScoreAsync("prices:btc:usd:ts").WaitAsync(Wait, Ct);
        Assert.Equal(["64001:lease-a:1"], members.Select(m => m.ToString()));
    }

    [Fact]
    public async Task TwoProcessesPublishFromOneWriterAndTheOtherTakesOverWhenItIsKilled()
    {
        await redis.ResetAsync();
        var lease = TimeSpan.FromSeconds(2);
        var received = new ConcurrentQueue<PriceMessage>();
        var queue = await redis.SubscribeToPricesAsync();
        queue.OnMessage(m => received.Enqueue(PriceMessage.Parse((byte[])m.Message!)));
        await using var first = await IngestProcess.StartAsync(redis.Topology.ConnectionString, "proc-1", lease);
        await using var second = await IngestProcess.StartAsync(redis.Topology.ConnectionString, "proc-2", lease);
        try
        {
            // Both running: for a while every message comes from one writer, in sequence, never twice.
            await Eventually.UntilAsync(() => received.Count(m => m.Status == "ok") >= 20, "twenty ok messages", TestContext.Current.CancellationToken);
            var before = received.ToArray();
            var writer = Assert.Single(before.Select(m => m.Writer).Distinct());
            Assert.Equal(before.Select(m => m.Seq).Order(), before.Select(m => m.Seq));
            Assert.Equal(before.Length, before.Select(m => m.Seq).Distinct().Count());

            // Both are ready: the standby is as healthy as the writer (it aggregates, it just does not write).
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            foreach (var instance in new[] { first, second })
            {
                Assert.Equal("Healthy", await http.GetStringAsync(new Uri(instance.BaseAddress!, "/health"), Ct));
                Assert.Equal("Healthy", await http.GetStringAsync(new Uri(instance.BaseAddress!, "/alive"), Ct));
            }

            var (victim, survivor) = writer == "proc-1" ? (first, second) : (second, first);
            victim.Kill();
            await Eventually.UntilAsync(() => received.Any(m => m.Writer == survivor.Name), "a message from the surviving writer", TestContext.Current.CancellationToken);
            var firstOfSurvivor = received.First(m => m.Writer == survivor.Name).Timestamp;

            // The lease moved to the survivor, which writes alone from then on.
            var db = redis.Client.GetDatabase();
            Assert.Equal(survivor.Name, (string?)await db.StringGetAsync("prices:btc:usd:writer").WaitAsync(Wait, Ct));
            await Eventually.UntilAsync(() => received.Count(m => m.Writer == survivor.Name) >= 5, "five messages from the surviving writer", TestContext.Current.CancellationToken);
            var after = received.SkipWhile(m => m.Writer != survivor.Name).ToArray();
            Assert.All(after, m => Assert.Equal(survivor.Name, m.Writer));

            // Never two writers at once: in the history the writer changes once, from the victim to the survivor.
            var history = (await db.SortedSetRangeByScoreWithScoresAsync("prices:btc:usd:ts").WaitAsync(Wait, Ct))
                .Select(e => (Writer: e.Element.ToString().Split(':')[1], Timestamp: (long)e.Score)).ToList();
            Assert.Equal([victim.Name, survivor.Name], history.Select(h => h.Writer).Where((w, i) => i == 0 || w != history[i - 1].Writer));

            // No hole across the hand-over: the survivor filled it with the prices it made as a standby, so from the
            // victim's last entry to the survivor's first live price no two entries are further apart than two
            // cadences, beyond which Prices.Ingest itself reports a gap in the history.
            var lastOfVictim = history.Last(h => h.Writer == victim.Name).Timestamp;
            var handOver = history.Select(h => h.Timestamp).Where(t => t >= lastOfVictim && t <= firstOfSurvivor).ToList();
            var gaps = handOver.Zip(handOver.Skip(1), (earlier, later) => later - earlier).ToList();
            Assert.True(gaps.Count > 0 && gaps.Max() <= 2 * (long)IngestProcess.EmitInterval.TotalMilliseconds,
                $"entries from {lastOfVictim} to {firstOfSurvivor} apart by {string.Join(", ", gaps)} ms");
        }
        finally
        {
            await queue.UnsubscribeAsync();
        }
    }
}

/// <summary>Prices.Ingest as its own process (dotnet Prices.Ingest.dll), so "kill the writer" is a real SIGKILL.</summary>
internal sealed class IngestProcess : IAsyncDisposable
{
    /// <summary>The longest a running instance goes without emitting a price.</summary>
    public static readonly TimeSpan EmitInterval = TimeSpan.FromMilliseconds(500);

    private readonly Process _process;

    private IngestProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    public string Name { get; }

    /// <summary>The Kestrel address the process reported (it listens on a random port).</summary>
    public Uri? BaseAddress { get; private set; }

    public static async Task<IngestProcess> StartAsync(string redis, string name, TimeSpan lease)
    {
        var info = new ProcessStartInfo("dotnet", Path.Combine(AppContext.BaseDirectory, "Prices.Ingest.dll"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        info.Environment["ConnectionStrings__redis"] = redis;
        info.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        info.Environment["Prices__Publishing__InstanceId"] = name;
        info.Environment["Prices__Publishing__LeaseDuration"] = lease.ToString();
        info.Environment["Prices__Sources__Simulated__TicksPerSecond"] = "20";
        info.Environment["Prices__Aggregation__EmitInterval"] = EmitInterval.ToString();
        info.Environment["Prices__Aggregation__MinEmitInterval"] = "00:00:00.100";
        var process = new Process { StartInfo = info };
        IngestProcess? ingest = null;
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            output.Enqueue(e.Data);
            var listening = e.Data.IndexOf("Now listening on: ", StringComparison.Ordinal);
            if (listening >= 0)
            {
                ingest!.BaseAddress = new Uri(e.Data[(listening + "Now listening on: ".Length)..].Trim());
            }

            if (e.Data.Contains("Application started", StringComparison.Ordinal))
            {
                started.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, e) => output.Enqueue(e.Data ?? "");
        ingest = new IngestProcess(name, process);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await started.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        }
        catch (TimeoutException)
        {
            await ingest.DisposeAsync();
            throw new TimeoutException($"{name} did not start:\n{string.Join('\n', output)}");
        }

        return ingest;
    }

    public void Kill() => _process.Kill(entireProcessTree: true);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        _process.Dispose();
    }
}
