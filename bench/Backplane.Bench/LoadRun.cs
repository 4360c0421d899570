using System.Diagnostics;
using System.Globalization;

namespace Backplane.Bench;

public sealed record RunResult(string Name, long Deliveries, double Seconds, double P50Ms, double P99Ms)
{
    public double MessagesPerSecond => Deliveries / Seconds;
}

/// <summary>
/// Receivers spread over the given servers join one group; a sender connection on the first server broadcasts to it.
/// Closed loop: at most <c>window</c> broadcasts are in flight (not yet received by every receiver), so the figures show
/// throughput at a bounded queue rather than how deep a queue can grow.
/// </summary>
public sealed class LoadRun(IReadOnlyList<BenchServer> servers, int receivers, int window) : IDisposable
{
    private const string Group = "bench";
    private int[] _received = [];
    private long[] _latencyTicks = [];
    private long _recorded;
    private SemaphoreSlim? _slots;
    private long _measureFrom = long.MaxValue;

    public async Task<RunResult> RunAsync(string name, int warmup, int messages, CancellationToken ct)
    {
        _received = new int[warmup + messages + 1];
        _latencyTicks = new long[(long)messages * receivers];
        _slots = new SemaphoreSlim(window, window);
        var clients = new List<RawSignalRClient>(receivers + 1);
        try
        {
            for (var i = 0; i < receivers; i++)
            {
                var client = await RawSignalRClient.ConnectAsync(servers[i % servers.Count].HubUri, OnMessage, ct);
                clients.Add(client);
                await client.InvokeAsync("Join", $"\"{Group}\"", ct);
            }

            var sender = await RawSignalRClient.ConnectAsync(servers[0].HubUri, static (_, _) => { }, ct);
            clients.Add(sender);

            await SendAsync(sender, 1, warmup, ct);
            await DrainAsync(ct);
            _measureFrom = warmup + 1;
            var clock = Stopwatch.StartNew();
            await SendAsync(sender, warmup + 1, messages, ct);
            await DrainAsync(ct);
            clock.Stop();

            var count = Interlocked.Read(ref _recorded);
            var latencies = _latencyTicks.AsSpan(0, (int)count);
            latencies.Sort();
            return new RunResult(name, count, clock.Elapsed.TotalSeconds, Percentile(latencies, 0.50), Percentile(latencies, 0.99));
        }
        finally
        {
            await Task.WhenAll(clients.Select(c => c.DisposeAsync().AsTask()));
        }
    }

    private async Task SendAsync(RawSignalRClient sender, int first, int count, CancellationToken ct)
    {
        for (var seq = first; seq < first + count; seq++)
        {
            if (!await _slots!.WaitAsync(TimeSpan.FromSeconds(30), ct))
            {
                throw new TimeoutException($"broadcast {seq - window} did not reach all {receivers} receivers within 30 s");
            }

            var args = string.Create(CultureInfo.InvariantCulture, $"\"{Group}\",{seq},{Stopwatch.GetTimestamp()}");
            await sender.SendAsync("Broadcast", args, ct);
        }
    }

    private async Task DrainAsync(CancellationToken ct)
    {
        for (var i = 0; i < window; i++)
        {
            if (!await _slots!.WaitAsync(TimeSpan.FromSeconds(30), ct))
            {
                throw new TimeoutException("the last broadcasts did not reach every receiver within 30 s");
            }
        }

        _slots!.Release(window);
    }

    private void OnMessage(long sequence, long sentTicks)
    {
        var now = Stopwatch.GetTimestamp();
        if (sequence >= _measureFrom)
        {
            var slot = Interlocked.Increment(ref _recorded) - 1;
            if (slot < _latencyTicks.Length)
            {
                _latencyTicks[slot] = now - sentTicks;
            }
        }

        if (Interlocked.Increment(ref _received[sequence]) == receivers)
        {
            _slots!.Release();
        }
    }

    public void Dispose() => _slots?.Dispose();

    private static double Percentile(Span<long> sorted, double p)
        => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(sorted.Length * p))] * 1000.0 / Stopwatch.Frequency;
}
