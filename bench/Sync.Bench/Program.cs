// Sync.Bench: rooms of 100 members spread over two Sync.Api instances (real Kestrel, Redis with Sentinel and the
// Redis backplane, PostgreSQL), each room driven with control commands at a fixed rate. Measures the latency from
// sending a command to its TimelineChanged arriving at every member, and raises the number of rooms until the p99
// passes the target. Clients run in this process too, so the figure includes their CPU on the same two cores.
//   dotnet run -c Release --project bench/Sync.Bench -- [--members 100] [--rate 200] [--seconds 8] [--max-rooms 8] [--target-ms 150] [--warmup-seconds 8]
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Platform.Redis.Failover;
using Platform.TestSupport;
using Sync.Api;
using Sync.Api.Identity;
using Sync.Api.Rooms;
using Sync.Api.Tests;

var members = Arg("--members", 100);
var rate = Arg("--rate", 200);
var seconds = Arg("--seconds", 8);
var maxRooms = Arg("--max-rooms", 8);
var targetMs = Arg("--target-ms", 150);
var replicaAcks = Arg("--replica-acks", 1);
var warmupSeconds = Arg("--warmup-seconds", 8);

ThreadPool.SetMinThreads(Arg("--min-threads", 2), 2);
Console.WriteLine($"sync bench: {members} members per room over 2 instances, {rate} control events/s per room, {seconds} s per step");
await using var redis = await RedisTopology.StartAsync(new RedisTopologyOptions { Replicas = 1, Sentinels = 3 });
await using var postgres = await PostgresServer.StartAsync();
await postgres.CreateDatabaseAsync("syncdb");
var apps = new List<WebApplication>();
var urls = new List<Uri>();
for (var i = 0; i < 2; i++)
{
    var app = await StartInstanceAsync(redis.ConnectionString, postgres.ConnectionString("syncdb"), replicaAcks);
    apps.Add(app);
    urls.Add(new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()));
}

using var http = new HttpClient();
var rooms = new List<BenchRoom>();
var best = (P99: double.NaN, Rooms: 0, EventsPerSecond: 0.0);
var first = (P99: double.NaN, EventsPerSecond: 0.0);
if (warmupSeconds > 0)
{
    // Unmeasured: in a profile of a cold run, tier-up JIT took 25-50% of the CPU for the first ~7 s of the first step,
    // which a server that has been up a while no longer pays.
    rooms.Add(await BenchRoom.CreateAsync(http, urls, members));
    var (_, warmP99, _, _) = await RunStepAsync(rooms, rate, TimeSpan.FromSeconds(warmupSeconds));
    Console.WriteLine($"warm-up (not measured): rooms=1 p99_ms={warmP99:F1}");
}

for (var n = 1; n <= maxRooms; n++)
{
    while (rooms.Count < n)
    {
        rooms.Add(await BenchRoom.CreateAsync(http, urls, members));
    }

    var (p50, p99, delivered, eps) = await RunStepAsync(rooms, rate, TimeSpan.FromSeconds(seconds));
    Console.WriteLine($"rooms={n} members={n * members} commands/s={eps:F0} deliveries={delivered} p50_ms={p50:F1} p99_ms={p99:F1}");
    if (n == 1)
    {
        first = (p99, eps);
    }

    if (p99 > targetMs || eps < rate * n * 0.9)
    {
        break;
    }

    best = (p99, n, eps / n);
}

foreach (var room in rooms)
{
    await room.DisposeAsync();
}

foreach (var app in apps)
{
    await app.StopAsync();
    await app.DisposeAsync();
}

// Every instance carries every room (half of each room's members), so "rooms one instance holds" is the room count.
// When even one room misses the target, the line reports that room's figures and rooms=0.
var (reportP99, reportEps) = best.Rooms > 0 ? (best.P99, best.EventsPerSecond) : first;
Console.WriteLine($"sync p99_ms={reportP99.ToString("F0", CultureInfo.InvariantCulture)} " +
                  $"events_per_s={reportEps.ToString("F0", CultureInfo.InvariantCulture)} rooms={best.Rooms}");

static async Task<(double P50, double P99, long Delivered, double EventsPerSecond)> RunStepAsync(List<BenchRoom> rooms, int rate, TimeSpan duration)
{
    foreach (var room in rooms)
    {
        room.Reset();
    }

    var stopwatch = Stopwatch.StartNew();
    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
    await Task.WhenAll(rooms.Select(r => r.DriveAsync(rate, duration)));
    Console.WriteLine($"  process CPU during the step: {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds / stopwatch.Elapsed.TotalSeconds * 100:F0}% of one core");
    await Task.Delay(1000); // let the last deliveries land
    var latencies = rooms.SelectMany(r => r.Latencies()).Order().ToArray();
    var replies = rooms.SelectMany(r => r.Replies).Order().ToArray();
    if (replies.Length > 0)
    {
        Console.WriteLine($"  command replies: p50_ms={Percentile(replies, 0.5):F1} p99_ms={Percentile(replies, 0.99):F1}");
    }

    var sent = rooms.Sum(r => r.Committed);
    return latencies.Length == 0
        ? (double.NaN, double.NaN, 0, 0)
        : (Percentile(latencies, 0.50), Percentile(latencies, 0.99), latencies.Length, sent / duration.TotalSeconds);
}

static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

static async Task<WebApplication> StartInstanceAsync(string redis, string postgres, int replicaAcks)
{
    var builder = WebApplication.CreateBuilder(new WebApplicationOptions
    {
        ApplicationName = typeof(SyncJson).Assembly.GetName().Name,
        ContentRootPath = AppContext.BaseDirectory,
    });
    builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["ConnectionStrings:redis"] = redis,
        ["ConnectionStrings:syncdb"] = postgres,
        ["Sync:TimelineReplicaAcks"] = replicaAcks.ToString(CultureInfo.InvariantCulture),
        ["Sync:RateLimits:control:Burst"] = "1000000",
        ["Sync:RateLimits:control:PerSecond"] = "1000000",
        ["Sync:RateLimits:join:Burst"] = "1000000",
        ["Sync:RateLimits:join:PerSecond"] = "1000000",
        // Every simulated member comes from 127.0.0.1.
        ["Sync:SessionsPerAddress:Burst"] = "1000000",
        ["Sync:SessionsPerAddress:PerSecond"] = "1000000",
    });
    builder.WebHost.UseUrls("http://127.0.0.1:0");
    builder.Logging.ClearProviders();
    builder.AddServiceDefaults();
    builder.AddApplicationServices();
    var app = builder.Build();
    // As Program.cs does.
    app.UseForwardedHeaders();
    app.UseRequestBodyLimits();
    app.UseRedisOutageGate();
    app.UseAuthentication();
    app.UseAuthorization();
    app.UseRateLimiter();
    app.MapDefaultEndpoints();
    app.MapSyncApi();
    await app.StartAsync();
    return app;
}

int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}

/// <summary>One room: ten controllers sending SetSpeed at a fixed rate, and members recording when each seq arrives.</summary>
internal sealed class BenchRoom : IAsyncDisposable
{
    private readonly List<HubClient> _clients = [];
    private readonly ConcurrentDictionary<long, long> _sentAt = new();
    private readonly List<ConcurrentDictionary<long, long>> _receivedAt = [];
    private long _committed;
    private ConcurrentBag<double> _replies = [];

    public IEnumerable<double> Replies => _replies;

    public long Committed => Interlocked.Read(ref _committed);

    public static async Task<BenchRoom> CreateAsync(HttpClient http, List<Uri> urls, int members)
    {
        var room = new BenchRoom();
        var host = await SessionAsync(http, urls[0], "host");
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(urls[0], "/api/rooms"))
        {
            Content = JsonContent.Create(new { name = "bench" }),
            Headers = { Authorization = new("Bearer", host) },
        };
        var created = await (await http.SendAsync(request)).EnsureSuccessStatusCode().Content.ReadFromJsonAsync<Room>(SyncJson.Options);
        await Parallel.ForAsync(0, members, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            var url = urls[i % urls.Count];
            var token = i == 0 ? host : await SessionAsync(http, url, $"m{i}");
            var client = await HubClient.ConnectAsync(url, token, SyncJson.Options, ct);
            var received = new ConcurrentDictionary<long, long>();
            client.RawObserver = raw =>
            {
                var span = raw.Span;
                if (span.IndexOf("\"TimelineChanged\""u8) < 0)
                {
                    return false;
                }

                var at = span.IndexOf("\"seq\":"u8) + 6;
                var length = span[at..].IndexOfAnyExceptInRange((byte)'0', (byte)'9');
                received.TryAdd(long.Parse(span.Slice(at, length), CultureInfo.InvariantCulture), Stopwatch.GetTimestamp());
                return true;
            };
            var joined = await client.InvokeRawAsync("JoinRoom", [created!.Id, null], ct);
            if (!joined.GetProperty("ok").GetBoolean())
            {
                throw new InvalidOperationException(joined.ToString());
            }

            lock (room._clients)
            {
                // The host (index 0) is the controller: keep it first.
                if (i == 0)
                {
                    room._clients.Insert(0, client);
                    room._receivedAt.Insert(0, received);
                }
                else
                {
                    room._clients.Add(client);
                    room._receivedAt.Add(received);
                }
            }
        });
        var pings = new List<double>();
        for (var k = 0; k < 200; k++)
        {
            var t0 = Stopwatch.GetTimestamp();
            await room._clients[0].InvokeRawAsync("GetServerTime", []);
            pings.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }

        pings.Sort();
        Console.WriteLine($"  GetServerTime round trip: p50_ms={pings[100]:F2} p99_ms={pings[197]:F2}");
        await room._clients[0].InvokeRawAsync("ChangeMedia", [null, "https://media.example/bench.mp4", null, 3_600_000L]);
        // No member reports ready in this benchmark: let the first-load wait lapse by opting everyone out.
        foreach (var c in room._clients)
        {
            await c.InvokeRawAsync("SetWaitOptOut", [true]);
        }

        return room;
    }

    private static async Task<string> SessionAsync(HttpClient http, Uri url, string name)
    {
        var response = await http.PostAsJsonAsync(new Uri(url, "/api/sessions"), new { displayName = name });
        return (await response.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<SessionResponse>(SyncJson.Options))!.Token;
    }

    public void Reset()
    {
        _sentAt.Clear();
        foreach (var r in _receivedAt)
        {
            r.Clear();
        }

        Interlocked.Exchange(ref _committed, 0);
        _replies = [];
    }

    /// <summary>Sends at a fixed schedule without waiting for replies (open loop), as independent users would.</summary>
    public async Task DriveAsync(int rate, TimeSpan duration)
    {
        // Commands come from several members, as in a real room (a hub connection runs its invocations one at a time).
        var controllers = _clients.Take(10).ToArray();
        var interval = Stopwatch.Frequency / (double)rate;
        var start = Stopwatch.GetTimestamp();
        var total = (int)(rate * duration.TotalSeconds);
        var inflight = new List<Task>(total);
        for (var n = 0; n < total; n++)
        {
            var due = start + (long)(n * interval);
            while (Stopwatch.GetTimestamp() < due)
            {
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                await Task.Delay(wait > TimeSpan.FromMilliseconds(2) ? wait - TimeSpan.FromMilliseconds(1) : TimeSpan.FromMilliseconds(1));
            }

            var sent = Stopwatch.GetTimestamp();
            var speed = 1 + ((n % 4) * 0.25);
            inflight.Add(controllers[n % controllers.Length].InvokeRawAsync("SetSpeed", [null, speed]).ContinueWith(t =>
            {
                if (t.IsCompletedSuccessfully && t.Result.GetProperty("ok").GetBoolean())
                {
                    _replies.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
                    _sentAt[t.Result.GetProperty("value").GetProperty("seq").GetInt64()] = sent;
                    Interlocked.Increment(ref _committed);
                }
            }, TaskScheduler.Default));
        }

        await Task.WhenAll(inflight);
    }

    public IEnumerable<double> Latencies()
    {
        foreach (var (seq, sent) in _sentAt)
        {
            foreach (var member in _receivedAt)
            {
                // A member that never received a seq counts as the worst case: the whole run.
                yield return member.TryGetValue(seq, out var at)
                    ? Stopwatch.GetElapsedTime(sent, at).TotalMilliseconds
                    : double.PositiveInfinity;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var c in _clients)
        {
            await c.DisposeAsync();
        }
    }
}
