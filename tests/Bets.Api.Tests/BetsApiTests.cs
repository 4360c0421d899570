using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Bets.Api.Grid;
using Dapper;
using Microsoft.Data.Sqlite;
using Platform.TestSupport;

namespace Bets.Api.Tests;

// Both classes publish prices to the shared Redis; one collection keeps them from interleaving.
[Collection("Live prices")]
public sealed class BetsApiTests(BetsFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>A bettable cell: the second window ahead (at least 30 s away), one band above the price.</summary>
    private static (int Band, long WindowStart) Cell(decimal price = 60_010m, int offset = 1)
    {
        var o = new GridOptions();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        return (GridCalculator.BandOf(price, o.BandWidth) + offset, GridCalculator.FirstWindowStart(now, o.WindowSeconds) + o.WindowSeconds * 1000L);
    }

    private static Task<HttpResponseMessage> PlaceAsync(HttpClient client, string key, object body, CancellationToken ct)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/bets") { Content = JsonContent.Create(body) };
        request.Headers.Add("Idempotency-Key", key);
        return client.SendAsync(request, ct).WaitAsync(Timeout, ct);
    }

    /// <summary>
    /// Sends a placement and returns once it holds its Idempotency-Key and waits for the database: the request takes the
    /// key before anything else and lets it go only when it answers, and the span of its database transaction starts
    /// when it queues for the write lock. The request's own trace tells that span from the resolver's.
    /// </summary>
    private async Task<Task<HttpResponseMessage>> PlaceUntilItWaitsForTheWriteLockAsync(HttpClient client, string key, object body, CancellationToken ct)
    {
        var transaction = $"transaction {Path.GetFileName(fixture.Database)}";
        var started = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = _ => true,
            // The least a listener can ask for: whether a span is recorded stays the service's sampler's decision.
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.PropagationData,
            ActivityStarted = a =>
            {
                if (a.DisplayName == transaction)
                {
                    started.Enqueue(a);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        Task<HttpResponseMessage> placing;
        ActivityTraceId trace;
        using (var caller = new Activity("placement held at the write lock").Start())
        {
            trace = caller.TraceId;
            placing = PlaceAsync(client, key, body, ct);
        }

        await Eventually.UntilAsync(() => started.Any(a => a.TraceId == trace), $"the placement with key {key} to wait for the write lock", ct, Timeout,
            () => $"the placement is {placing.Status}");
        return placing;
    }

    private static async Task<JsonObject> ProblemAsync(HttpResponseMessage response, HttpStatusCode status, string typeSuffix)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.True(problem["type"]!.ToString().EndsWith(typeSuffix, StringComparison.Ordinal), problem.ToJsonString());
        return problem;
    }

    private async Task<(HttpClient, string)> FundedWalletAsync(BetsHost host, CancellationToken ct)
    {
        await fixture.PublishPriceAsync(60_010m);
        var (client, wallet) = await fixture.SignInAsync(host, ct).WaitAsync(Timeout, ct);
        (await client.PostAsync("/wallet/faucet", null, ct).WaitAsync(Timeout, ct)).EnsureSuccessStatusCode(); // 100,000
        return (client, wallet);
    }

    [Fact]
    public async Task TwoHundredConcurrentBetsOverHttpNeverOverspendOneBalance()
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, wallet) = await FundedWalletAsync(fixture.Host, ct);
        using var _ = client;
        var (band, start) = Cell();
        var responses = await Task.WhenAll(Enumerable.Range(0, 200).Select(i =>
            PlaceAsync(client, $"k-{i}", new { band = band + i % 3, windowStart = start, stake = 1_000 }, ct)));

        Assert.Equal(100, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.Equal(100, responses.Count(r => r.StatusCode == HttpStatusCode.UnprocessableEntity));
        var balance = await client.GetFromJsonAsync<JsonObject>("/balance", ct).WaitAsync(Timeout, ct);
        Assert.Equal(0, (long)balance!["balance"]!);
        await using var db = new SqliteConnection($"Data Source={fixture.Database}");
        Assert.Equal(0, await db.ExecuteScalarAsync<long>("SELECT SUM(amount) FROM ledger WHERE wallet = @wallet", new { wallet }));
        Assert.Equal(100, await db.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM bets WHERE wallet = @wallet", new { wallet }));
    }

    [Fact]
    public async Task IdempotencyKeyReplaysTheStoredResponseRefusesOtherBodiesAndInFlightDuplicates()
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, _) = await FundedWalletAsync(fixture.Host, ct);
        using var __ = client;
        var (band, start) = Cell();
        var body = new { band, windowStart = start, stake = 500 };

        var first = await PlaceAsync(client, "same", body, ct);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var again = await PlaceAsync(client, "same", body, ct);
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(ct), await again.Content.ReadAsStringAsync(ct));
        Assert.True(again.Headers.Contains("Idempotent-Replayed"));
        await ProblemAsync(await PlaceAsync(client, "same", new { band, windowStart = start, stake = 600 }, ct), HttpStatusCode.UnprocessableEntity, "idempotency-key-reused");
        Assert.Equal(99_500, (long)(await client.GetFromJsonAsync<JsonObject>("/balance", ct))!["balance"]!);
        var id = (await first.Content.ReadFromJsonAsync<JsonObject>(ct))!["bet"]!["id"]!.ToString();
        var bets = await client.GetFromJsonAsync<JsonArray>("/bets", ct);
        Assert.Single(bets!, b => b!["id"]!.ToString() == id);
        var bet = await client.GetFromJsonAsync<JsonObject>($"/bets/{id}", ct);
        Assert.Equal("open", bet!["status"]!.ToString());
        Assert.Equal(band, (int)bet["band"]!);
        Assert.True((double)bet["multiplier"]! > 1);

        // Hold SQLite's write lock from outside so the first request is still in flight when the duplicate arrives.
        await using (var blocker = new SqliteConnection($"Data Source={fixture.Database}"))
        {
            await blocker.OpenAsync(ct);
            await using var tx = (SqliteTransaction)await blocker.BeginTransactionAsync(ct); // BEGIN IMMEDIATE
            var inFlight = await PlaceUntilItWaitsForTheWriteLockAsync(client, "slow", body, ct);
            await ProblemAsync(await PlaceAsync(client, "slow", body, ct), HttpStatusCode.Conflict, "idempotency-in-flight");
            await tx.RollbackAsync(ct);
            Assert.Equal(HttpStatusCode.Created, (await inFlight).StatusCode);
        }

        await ProblemAsync(await PlaceAsync(client, "", body, ct), HttpStatusCode.BadRequest, "idempotency-key-invalid");
    }

    [Fact]
    public async Task IdempotencyComparesTheRequestsMeaningNotItsBytes()
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, _) = await FundedWalletAsync(fixture.Host, ct);
        using var __ = client;
        var (band, start) = Cell();
        async Task<HttpResponseMessage> SendAsync(string json)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/bets") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
            request.Headers.Add("Idempotency-Key", "meaning");
            return await client.SendAsync(request, ct).WaitAsync(Timeout, ct);
        }

        var first = await SendAsync($$"""{"band":{{band}},"windowStart":{{start}},"stake":700}""");
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var reordered = await SendAsync($$"""
            {
              "stake" : 700,
              "windowStart" : {{start}},   "band":{{band}}
            }
            """);
        Assert.True(reordered.StatusCode == HttpStatusCode.Created, await reordered.Content.ReadAsStringAsync(ct));
        Assert.True(reordered.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(await first.Content.ReadAsStringAsync(ct), await reordered.Content.ReadAsStringAsync(ct));
        await ProblemAsync(await SendAsync($$"""{"stake":701,"windowStart":{{start}},"band":{{band}}}"""), HttpStatusCode.UnprocessableEntity, "idempotency-key-reused");
        Assert.Equal(99_300, (long)(await client.GetFromJsonAsync<JsonObject>("/balance", ct))!["balance"]!);
    }

    [Fact]
    public async Task ARefusalDecidedUnderTheLockCarriesItsFactsInCentsAndIsReplayedByteForByte()
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, _) = await FundedWalletAsync(fixture.Host, ct);
        using var __ = client;
        var (band, start) = Cell();
        Assert.Equal(HttpStatusCode.Created, (await PlaceAsync(client, "facts-1", new { band, windowStart = start, stake = 1_000 }, ct)).StatusCode);

        var refused = await PlaceAsync(client, "facts-2", new { band, windowStart = start, stake = 100_000 }, ct);
        var problem = await ProblemAsync(refused, HttpStatusCode.UnprocessableEntity, "insufficient-balance");
        Assert.Equal("insufficient-balance", problem["code"]!.ToString());
        Assert.Equal(100_000, (long)problem["neededCents"]!);
        Assert.Equal(99_000, (long)problem["balanceCents"]!);
        Assert.Contains("$1,000.00", problem["detail"]!.ToString(), StringComparison.Ordinal);
        // The balance would now cover a smaller stake, but the key was answered: the retry gets that answer again.
        var again = await PlaceAsync(client, "facts-2", new { band, windowStart = start, stake = 100_000 }, ct);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, again.StatusCode);
        Assert.True(again.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(await refused.Content.ReadAsByteArrayAsync(ct), await again.Content.ReadAsByteArrayAsync(ct));
    }

    [Fact]
    public async Task PlacementIsRateLimitedPerWalletWithRetryAfter()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await BetsHost.StartAsync(fixture.Redis.ConnectionString, fixture.Database,
            new Dictionary<string, string?> { ["Betting:RateLimitPerMinute"] = "3" }).WaitAsync(Timeout, ct);
        var (client, wallet) = await FundedWalletAsync(host, ct);
        using var _ = client;
        var (band, start) = Cell();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Created, (await PlaceAsync(client, $"r{i}", new { band, windowStart = start, stake = 100 }, ct)).StatusCode);
        }

        var limited = await PlaceAsync(client, "r3", new { band, windowStart = start, stake = 100 }, ct);
        await ProblemAsync(limited, HttpStatusCode.TooManyRequests, "rate-limited");
        Assert.InRange(limited.Headers.RetryAfter!.Delta!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
        var ttl = await fixture.Client.GetDatabase().KeyTimeToLiveAsync($"rate_limit:{wallet}").WaitAsync(Timeout, ct);
        Assert.InRange(ttl!.Value, TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task InvalidBetsGetProblemDetailsThatSayWhy()
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, _) = await FundedWalletAsync(fixture.Host, ct);
        using var __ = client;
        var (band, start) = Cell();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        var stake = await ProblemAsync(await PlaceAsync(client, "v1", new { band, windowStart = start, stake = 1 }, ct), HttpStatusCode.BadRequest, "stake-out-of-bounds");
        Assert.NotNull(stake["errors"]!["stake"]);
        await ProblemAsync(await PlaceAsync(client, "v2", new { band, windowStart = start, stake = 10_000_000 }, ct), HttpStatusCode.BadRequest, "stake-out-of-bounds");
        var past = GridCalculator.FirstWindowStart(now, 30) - 60_000;
        await ProblemAsync(await PlaceAsync(client, "v3", new { band, windowStart = past, stake = 100 }, ct), HttpStatusCode.UnprocessableEntity, "cell-in-past");
        var current = GridCalculator.FirstWindowStart(now, 30) - 30_000; // the window under way
        await ProblemAsync(await PlaceAsync(client, "v4", new { band, windowStart = current, stake = 100 }, ct), HttpStatusCode.UnprocessableEntity, "cell-too-soon");
        await ProblemAsync(await PlaceAsync(client, "v5", new { band = band + 100, windowStart = start, stake = 100 }, ct), HttpStatusCode.UnprocessableEntity, "cell-not-on-grid");
        var v6a = await PlaceAsync(client, "v6a", new { band, windowStart = start, stake = 1_000 }, ct);
        Assert.True(v6a.StatusCode == HttpStatusCode.Created, await v6a.Content.ReadAsStringAsync(ct));
        await ProblemAsync(await PlaceAsync(client, "v6", new { band, windowStart = start, stake = 100_000 }, ct), HttpStatusCode.UnprocessableEntity, "insufficient-balance");

        Assert.Equal(HttpStatusCode.NoContent, (await client.PutAsJsonAsync("/wallet/daily-limit", new { dailyLimit = 1_300 }, ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await PlaceAsync(client, "v7", new { band, windowStart = start, stake = 300 }, ct)).StatusCode);
        await ProblemAsync(await PlaceAsync(client, "v8", new { band, windowStart = start, stake = 100 }, ct), HttpStatusCode.UnprocessableEntity, "daily-limit");
        Assert.Equal(HttpStatusCode.NoContent, (await client.PutAsJsonAsync("/wallet/daily-limit", new { dailyLimit = (long?)null }, ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/wallet/self-exclusion", new { days = 1 }, ct)).StatusCode);
        await ProblemAsync(await PlaceAsync(client, "v9", new { band, windowStart = start, stake = 100 }, ct), HttpStatusCode.Forbidden, "self-excluded");

        var malformed = new HttpRequestMessage(HttpMethod.Post, "/bets") { Content = new StringContent("{nope", Encoding.UTF8, "application/json") };
        malformed.Headers.Add("Idempotency-Key", "v10");
        Assert.Equal(HttpStatusCode.BadRequest, (await client.SendAsync(malformed, ct)).StatusCode);
    }

    [Fact]
    public async Task AStaleFeedPausesPlacement()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await BetsHost.StartAsync(fixture.Redis.ConnectionString, Path.Combine(fixture.Folder, "stale.db")).WaitAsync(Timeout, ct);
        var (client, _) = await FundedWalletAsync(host, ct);
        using var _ = client;
        var (band, start) = Cell();
        await fixture.PublishPriceAsync(60_010m, status: "stale");
        await Eventually.UntilAsync(() => host.Get<Prices.PriceFeed>().Latest?.Status == "stale", "the feed to read the price as stale", ct);
        var response = await PlaceAsync(client, "s1", new { band, windowStart = start, stake = 100 }, ct);
        await ProblemAsync(response, HttpStatusCode.ServiceUnavailable, "stale-price");
        await fixture.PublishPriceAsync(60_010m);
    }

    [Fact]
    public async Task TheFaucetDoesNotExistOutsideDevelopment()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await BetsHost.StartAsync(fixture.Redis.ConnectionString, Path.Combine(fixture.Folder, "prod.db"),
            new Dictionary<string, string?> { ["Betting:FaucetEnabled"] = "true" }, environment: "Production").WaitAsync(Timeout, ct);
        var (client, _) = await fixture.SignInAsync(host, ct).WaitAsync(Timeout, ct);
        using var _ = client;
        var response = await client.PostAsync("/wallet/faucet", null, ct).WaitAsync(Timeout, ct);
        Assert.True(response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed, response.StatusCode.ToString());
    }

    [Fact]
    public async Task TheGridIsCachedPerPriceBucketForFiveMinutes()
    {
        var ct = TestContext.Current.CancellationToken;
        await fixture.PublishPriceAsync(61_234.5m);
        await Eventually.UntilAsync(() => fixture.Host.Get<Prices.PriceFeed>().Latest?.Price == 61_234.5m, "the feed to read 61,234.50", ct);
        var grid = await fixture.Host.Http.GetFromJsonAsync<JsonObject>("/grid", ct).WaitAsync(Timeout, ct);
        var cells = grid!["cells"]!.AsArray();
        Assert.Equal(11 * 8, cells.Count);
        Assert.All(cells, c => Assert.InRange((double)c!["probability"]!, 0, 1));
        // Cells next to the price are neither certain nor impossible, and their multiplier is (1 - edge) / p.
        var near = cells.Where(c => (bool)c!["bettable"]! && (double)c["probability"]! is > 0.05 and < 0.95).ToList();
        Assert.NotEmpty(near);
        Assert.All(near, c => Assert.Equal(Math.Floor(0.95 / (double)c!["probability"]! * 100) / 100, (double)c["multiplier"]!, 6));

        var server = fixture.Client.GetDatabase();
        var master = fixture.Client.GetServers().Single(s => !s.IsReplica);
        var keys = await master.KeysAsync(pattern: "cache:grid:*").Select(k => k.ToString()).Where(k => k.Contains("bucket=61234:", StringComparison.Ordinal)).ToListAsync(ct).AsTask().WaitAsync(Timeout, ct);
        Assert.NotEmpty(keys);
        var ttl = await server.KeyTimeToLiveAsync(keys[0]).WaitAsync(Timeout, ct);
        Assert.InRange(ttl!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5));
        Assert.Equal(61_234m, (decimal)grid["price"]!);

        // Another price bucket is another key: the cached grid is never served for it.
        await fixture.PublishPriceAsync(61_300.25m);
        await Eventually.UntilAsync(() => fixture.Host.Get<Prices.PriceFeed>().Latest?.Price == 61_300.25m, "the feed to read 61,300.25", ct);
        var moved = await fixture.Host.Http.GetFromJsonAsync<JsonObject>("/grid", ct).WaitAsync(Timeout, ct);
        Assert.Equal(61_300m, (decimal)moved!["price"]!);
        await fixture.PublishPriceAsync(60_010m);
    }
}
