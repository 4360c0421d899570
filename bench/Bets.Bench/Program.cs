using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Bets.Api.Auth;
using Bets.Api.Bench;
using Bets.Api.Grid;
using Bets.Api.Wallets;
using Platform.TestSupport;
using StackExchange.Redis;

// ./platform bench bets [bets=10000] [concurrency=64] [wallets=200] [wsClients=1000] [rate=1000] [seconds=10] [warmup=0]
var settings = args.Select(a => a.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => int.Parse(p[1], CultureInfo.InvariantCulture));
int Setting(string name, int fallback) => settings.TryGetValue(name, out var v) ? v : fallback;
var totalBets = Setting("bets", 10_000);
var concurrency = Setting("concurrency", 64);
var walletCount = Setting("wallets", 200);
var wsClients = Setting("wsClients", 1000);
var openRate = Setting("rate", 1000);
var openSeconds = Setting("seconds", 10);
var warmup = Setting("warmup", 0);

var folder = Directory.CreateTempSubdirectory("bets-bench-").FullName;
await using var redis = await RedisTopology.StartAsync(new RedisTopologyOptions { Replicas = 0, Sentinels = 0 });
await using var publisher = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
await Prices.PublishAsync(publisher, 60_010m);
await using var host = await BenchHost.StartAsync(redis.ConnectionString, Path.Combine(folder, "bench.db"));
Console.WriteLine($"bets bench: {totalBets} bets closed loop at {concurrency} concurrent, {openRate} bets/s open loop for {openSeconds} s, {walletCount} wallets, {wsClients} WebSocket clients");

// --- grid computation ---------------------------------------------------------------------------------------------
var o = new GridOptions();
var sigma = GridCalculator.PerSecond(0.6);
var sw = Stopwatch.StartNew();
const int gridRuns = 50;
for (var i = 0; i < gridRuns; i++)
{
    GridCalculator.Compute(60_010m + i, 0, sigma, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), o);
}

var gridMs = sw.Elapsed.TotalMilliseconds / gridRuns;
using var anonymous = new HttpClient { BaseAddress = host.Address };
sw.Restart();
(await anonymous.GetAsync("/grid")).EnsureSuccessStatusCode();
var gridColdMs = sw.Elapsed.TotalMilliseconds;
var warm = new List<double>();
for (var i = 0; i < 200; i++)
{
    sw.Restart();
    (await anonymous.GetAsync("/grid")).EnsureSuccessStatusCode();
    warm.Add(sw.Elapsed.TotalMilliseconds);
}
Console.WriteLine($"grid: compute {gridMs:0.00} ms for {(2 * o.BandsEachSide + 1) * o.Windows} cells; GET /grid cold {gridColdMs:0.0} ms, cached p50 {Stats.Percentile(warm, 50):0.00} ms");

// --- placement ------------------------------------------------------------------------------------------------------
var sessions = host.Get<SessionStore>();
var ledger = host.Get<WalletLedger>();
var tokens = new List<string>();
for (var i = 0; i < walletCount; i++)
{
    var wallet = EthereumAddress.ToChecksum("0x" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20)));
    await ledger.FaucetAsync(wallet, 100_000_000);
    tokens.Add((await sessions.CreateSessionAsync(wallet, DateTimeOffset.UtcNow)).Token);
}
// Room for the open loop to open more connections if the server falls behind (that wait is part of its latency).
using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = Math.Max(concurrency, 512), PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
using var http = new HttpClient(handler) { BaseAddress = host.Address };
var center = GridCalculator.BandOf(60_010m, o.BandWidth);
async Task<int> PlaceAsync(string key, int i)
{
    var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    var body = new { band = center + 1 + i % 4, windowStart = GridCalculator.FirstWindowStart(now, o.WindowSeconds) + (1 + i % 5) * o.WindowSeconds * 1000L, stake = 100 };
    using var request = new HttpRequestMessage(HttpMethod.Post, "/bets") { Content = JsonContent.Create(body) };
    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tokens[i % tokens.Count]);
    request.Headers.Add("Idempotency-Key", key);
    using var response = await http.SendAsync(request);
    await response.Content.ReadAsByteArrayAsync();
    return (int)response.StatusCode;
}
string Failures(int[] s) => s.All(x => x == 201) ? "" : $" (non-201: {string.Join(", ", s.Where(x => x != 201).GroupBy(x => x).Select(g => $"{g.Key}x{g.Count()}"))})";
var keepFresh = Task.Run(async () => { while (true) { await Prices.PublishAsync(publisher, 60_010m); await Task.Delay(1000); } });

// Closed loop: `concurrency` workers, each sending its next bet as soon as the previous answer arrives. This measures
// the maximum throughput; its latency is mostly queueing (Little's law: concurrency / throughput), so it is printed
// for information only.
var latencies = new double[totalBets];
var statuses = new int[totalBets];
var next = -1;
async Task Worker()
{
    int i;
    while ((i = Interlocked.Increment(ref next)) < totalBets)
    {
        var start = Stopwatch.GetTimestamp();
        statuses[i] = await PlaceAsync("b" + i.ToString(CultureInfo.InvariantCulture), i);
        latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }
}
// warmup=N places N bets first, so that the closed loop measures the JIT's steady state; by default it measures a
// freshly started service, whose first seconds the tiered JIT's recompilation takes a large share of.
await Task.WhenAll(Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
{
    for (var j = w; j < warmup; j += concurrency)
    {
        await PlaceAsync("w" + j.ToString(CultureInfo.InvariantCulture), j);
    }
})));
var gcClosed = GcCounts.Now();
var cpu = Process.GetCurrentProcess().TotalProcessorTime;
sw.Restart();
await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(Worker)));
var elapsed = sw.Elapsed;
var cpuPerBet = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMicroseconds / totalBets;
var ok = statuses.Count(s => s == 201);
var placePerSecond = ok / elapsed.TotalSeconds;
Console.WriteLine($"placement, closed loop ({concurrency} workers, max throughput): {ok}/{totalBets} created in {elapsed.TotalSeconds:0.00} s = {placePerSecond:0} bets/s; "
    + $"p50 {Stats.Percentile(latencies, 50):0.0} ms, p99 {Stats.Percentile(latencies, 99):0.0} ms (queueing: {concurrency} / {placePerSecond:0} per s = {1000.0 * concurrency / placePerSecond:0.0} ms); "
    + $"{cpuPerBet:0} us CPU per bet in this process (client and server)" + Failures(statuses));
Console.WriteLine(GcCounts.Now().Since(gcClosed, totalBets, "closed"));

// Open loop: bets offered at a fixed rate on a timetable, whatever the answers do. Latency counts from each request's
// scheduled send time, so a stall that delays the sends behind it is counted in full (no coordinated omission).
var openCount = openRate * openSeconds;
var openLatencies = new double[openCount];
var openStatuses = new int[openCount];
var openTasks = new Task[openCount];
var ticksPerBet = Stopwatch.Frequency / (double)openRate;
var maxLate = 0.0;
// The collector's share of the open loop's tail: a gen0 pause stalls every bet in flight.
var gcBefore = GcCounts.Now();
var begin = Stopwatch.GetTimestamp();
for (var i = 0; i < openCount;)
{
    // Send everything that is due (never early; a late timer tick is counted in the latency), then sleep to the next.
    for (var now = Stopwatch.GetTimestamp(); i < openCount && begin + (long)(i * ticksPerBet) <= now; i++)
    {
        var n = i;
        var due = begin + (long)(n * ticksPerBet);
        maxLate = Math.Max(maxLate, Stopwatch.GetElapsedTime(due, now).TotalMilliseconds);
        openTasks[n] = Task.Run(async () =>
        {
            openStatuses[n] = await PlaceAsync("o" + n.ToString(CultureInfo.InvariantCulture), n);
            openLatencies[n] = Stopwatch.GetElapsedTime(due).TotalMilliseconds;
        });
    }
    if (i < openCount)
    {
        var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), begin + (long)(i * ticksPerBet));
        await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(1, Math.Ceiling(wait.TotalMilliseconds))));
    }
}
await Task.WhenAll(openTasks);
var openElapsed = Stopwatch.GetElapsedTime(begin);
var openOk = openStatuses.Count(s => s == 201);
var placeP99 = Stats.Percentile(openLatencies, 99);
Console.WriteLine($"placement, open loop ({openRate} bets/s offered for {openSeconds} s): {openOk}/{openCount} created, {openOk / openElapsed.TotalSeconds:0} bets/s achieved; "
    + $"latency from the scheduled send p50 {Stats.Percentile(openLatencies, 50):0.0} ms, p90 {Stats.Percentile(openLatencies, 90):0.0} ms, "
    + $"p99 {placeP99:0.0} ms, max {openLatencies.Max():0.0} ms (sender at most {maxLate:0.0} ms behind its timetable)" + Failures(openStatuses));
Console.WriteLine(GcCounts.Now().Since(gcBefore, openCount, "open"));

// Peers in the same run: Kestrel + HttpClient with no work (GET /alive) at the same concurrency, and the store alone.
var aliveLatencies = new double[totalBets / 2];
var aliveNext = -1;
sw.Restart();
await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
{
    int i;
    while ((i = Interlocked.Increment(ref aliveNext)) < aliveLatencies.Length)
    {
        var start = Stopwatch.GetTimestamp();
        using var response = await http.GetAsync("/alive");
        await response.Content.ReadAsByteArrayAsync();
        aliveLatencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }
})));
var alivePerSecond = aliveLatencies.Length / sw.Elapsed.TotalSeconds;
Console.WriteLine($"peer: GET /alive {alivePerSecond:0}/s, p99 {Stats.Percentile(aliveLatencies, 99):0.0} ms; placement runs at {placePerSecond / alivePerSecond:P0} of the bare HTTP rate");
var placement = host.Get<Bets.Api.Bets.BetPlacement>();
var idempotency = host.Get<Bets.Api.Bets.IdempotencyStore>();
var database = host.Get<Bets.Api.Data.BetsDatabase>();
var storeWallet = EthereumAddress.ToChecksum("0x" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20)));
await ledger.FaucetAsync(storeWallet, 100_000_000);
var storeNext = -1;
var storeCount = totalBets / 2;
sw.Restart();
cpu = Process.GetCurrentProcess().TotalProcessorTime;
await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
{
    int i;
    while ((i = Interlocked.Increment(ref storeNext)) < storeCount)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var cell = GridCalculator.PriceCell(60_010m, sigma, now, center + 1, GridCalculator.FirstWindowStart(now, o.WindowSeconds) + o.WindowSeconds * 1000L, o);
        // What POST /bets does under the lock: the bet and its stored response in one unit.
        var quote = new Bets.Api.Bets.BetPlacement.Quote(storeWallet, 100, cell, 60_010m, long.MaxValue / 4);
        var key = new Bets.Api.Bets.IdempotencyRecord("s" + i.ToString(CultureInfo.InvariantCulture), "f");
        await database.WriteAsync((_, tx) => Task.FromResult(idempotency.FindUnderLock(tx, storeWallet, key.Key)
            ?? idempotency.Save(tx, storeWallet, key, placement.Commit(tx, quote) is Bets.Api.Bets.PlaceOutcome.Placed
                ? new(201, "application/json", "{}") : new(422, "application/problem+json", "{}"))));
    }
})));
var storeCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMicroseconds / storeCount;
Console.WriteLine($"store alone: {storeCount / sw.Elapsed.TotalSeconds:0} placements/s, {storeCpu:0} us CPU each (SQLite transaction with idempotency record, no HTTP/Redis)");

// Peer: the bare SQLite cost of one BEGIN IMMEDIATE write transaction on the same machine (the placement's floor).
var peerPerSecond = await Peer.SqliteTransactionsPerSecondAsync(Path.Combine(folder, "peer.db"), 5_000);
Console.WriteLine($"peer: bare SQLite BEGIN IMMEDIATE transactions {peerPerSecond:0}/s; placement runs at {placePerSecond / peerPerSecond:P0} of it");

// --- WebSocket fan-out ------------------------------------------------------------------------------------------------
var sockets = new List<ClientWebSocket>();
var wsUri = new UriBuilder(host.Address) { Scheme = "ws", Path = "/ws/prices" }.Uri;
for (var i = 0; i < wsClients; i++)
{
    var s = new ClientWebSocket();
    await s.ConnectAsync(wsUri, CancellationToken.None);
    sockets.Add(s);
}
var received = new System.Collections.Concurrent.ConcurrentBag<double>();
using var stopReceiving = new CancellationTokenSource();
var receivers = sockets.Select(s => Task.Run(async () =>
{
    var buffer = new byte[4096];
    try
    {
        while (true)
        {
            var r = await s.ReceiveAsync(buffer, stopReceiving.Token);
            var text = Encoding.UTF8.GetString(buffer, 0, r.Count);
            var at = text.IndexOf("\"bench\":", StringComparison.Ordinal);
            if (at < 0)
            {
                continue;
            }

            var sent = long.Parse(text.AsSpan(at + 8, text.IndexOf('}', at) - at - 8), CultureInfo.InvariantCulture);
            received.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
        }
    }
    catch (Exception e) when (e is OperationCanceledException or WebSocketException)
    {
    }
})).ToList();
await Task.Delay(1000);
const int publishes = 40;
for (var i = 0; i < publishes; i++)
{
    var ts = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    var json = $$"""{"symbol":"BTC/USD","price":"{{60_010 + i}}","timestamp":{{ts}},"status":"ok","sources":[],"bench":{{Stopwatch.GetTimestamp()}}}""";
    await publisher.GetDatabase().PublishAsync(RedisChannel.Literal("prices:btc:usd"), json);
    await Task.Delay(100);
}
await Task.Delay(2000);
await stopReceiving.CancelAsync();
var wsLatencies = received.ToArray();
var wsP99 = Stats.Percentile(wsLatencies, 99);
Console.WriteLine($"fan-out: {wsLatencies.Length}/{publishes * wsClients} deliveries to {wsClients} clients; publish→receipt p50 {Stats.Percentile(wsLatencies, 50):0.0} ms, p99 {wsP99:0.0} ms");
foreach (var s in sockets)
{
    s.Abort();
}

try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bets place_per_s={placePerSecond:0} place_p99_ms={placeP99:0.0} ws_p99_ms={wsP99:0.0}"));
_ = keepFresh;
return 0;
