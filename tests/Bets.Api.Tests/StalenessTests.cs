using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Bets.Api.Prices;
using Platform.TestSupport;

namespace Bets.Api.Tests;

/// <summary>The clock of one Bets.Api instance, moved ahead of the real one so the prices it reads age at will.</summary>
internal sealed class ShiftedTime : TimeProvider
{
    private long _shiftTicks;
    public TimeSpan Shift { get => TimeSpan.FromTicks(Interlocked.Read(ref _shiftTicks)); set => Interlocked.Exchange(ref _shiftTicks, value.Ticks); }
    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Shift;
}

// Publishes prices to the shared Redis like the other price tests; one collection keeps them from interleaving.
[Collection("Live prices")]
public sealed class StalenessTests(BetsFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static async Task<JsonObject> ReceiveAsync(ClientWebSocket socket, CancellationToken ct)
    {
        var buffer = new byte[1 << 16];
        var count = 0;
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer.AsMemory(count), ct).AsTask().WaitAsync(Timeout, ct);
            count += result.Count;
            if (result.EndOfMessage)
            {
                return JsonNode.Parse(Encoding.UTF8.GetString(buffer, 0, count))!.AsObject();
            }
        }
    }

    private static async Task<string> HealthAsync(BetsHost host, CancellationToken ct)
    {
        var health = await host.Http.GetFromJsonAsync<JsonObject>("/health", ct).WaitAsync(Timeout, ct);
        Assert.Equal(health!["status"]!.ToString(), health["checks"]!["price-feed"]!["status"]!.ToString());
        return health["status"]!.ToString();
    }

    [Fact]
    public async Task AStaleFeedIsReportedByTheLatestPriceTheGridTheStreamAndTheHealthCheck()
    {
        var ct = TestContext.Current.CancellationToken;
        var time = new ShiftedTime();
        await using var host = await BetsHost.StartAsync(fixture.Redis.ConnectionString, Path.Combine(fixture.Folder, "staleness.db"), time: time)
            .WaitAsync(Timeout, ct);
        var published = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await fixture.PublishPriceAsync(60_020m);
        await Eventually.UntilAsync(() => host.Get<PriceFeed>().Latest?.Price == 60_020m, "the feed to read 60,020", ct);

        var latest = await host.Http.GetFromJsonAsync<JsonObject>("/prices/latest", ct).WaitAsync(Timeout, ct);
        Assert.Equal("ok", latest!["status"]!.ToString());
        // The price is as old as the time since it was published, whatever that was on this machine.
        Assert.InRange((long)latest["ageMs"]!, 0, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - published);
        var grid = await host.Http.GetFromJsonAsync<JsonObject>("/grid", ct).WaitAsync(Timeout, ct);
        Assert.Equal("ok", grid!["status"]!.ToString());
        Assert.Contains(grid["cells"]!.AsArray(), c => (bool)c!["bettable"]!);
        Assert.Equal("Healthy", await HealthAsync(host, ct));
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new UriBuilder(host.Address) { Scheme = "ws", Path = "/ws/prices" }.Uri, ct).WaitAsync(Timeout, ct);
        Assert.Equal("ok", (await ReceiveAsync(socket, ct))["status"]!.ToString());

        // No new price for 20 s, as this instance sees it: the feed has gone silent.
        time.Shift = TimeSpan.FromSeconds(20);

        latest = await host.Http.GetFromJsonAsync<JsonObject>("/prices/latest", ct).WaitAsync(Timeout, ct);
        Assert.Equal("stale", latest!["status"]!.ToString());
        Assert.True((long)latest["ageMs"]! >= 20_000, latest.ToJsonString());
        grid = await host.Http.GetFromJsonAsync<JsonObject>("/grid", ct).WaitAsync(Timeout, ct);
        Assert.Equal("stale", grid!["status"]!.ToString());
        Assert.True((long)grid["priceAgeMs"]! >= 20_000);
        Assert.All(grid["cells"]!.AsArray(), c =>
        {
            Assert.False((bool)c!["bettable"]!);
            Assert.StartsWith("the price feed is stale", c["reason"]!.ToString(), StringComparison.Ordinal);
        });
        Assert.Equal("Degraded", await HealthAsync(host, ct));
        JsonObject message;
        do
        {
            message = await ReceiveAsync(socket, ct);
        }
        while (message["status"]!.ToString() != "stale");
        Assert.Equal("60020", message["price"]!.ToString());
        Assert.True((long)message["ageMs"]! >= 20_000);

        // A fresh price ends it.
        time.Shift = TimeSpan.Zero;
        await fixture.PublishPriceAsync(60_030m);
        await Eventually.UntilAsync(() => host.Get<PriceFeed>().Latest?.Price == 60_030m, "the feed to read 60,030", ct);
        latest = await host.Http.GetFromJsonAsync<JsonObject>("/prices/latest", ct).WaitAsync(Timeout, ct);
        Assert.Equal("ok", latest!["status"]!.ToString());
        Assert.Equal("Healthy", await HealthAsync(host, ct));
        await fixture.PublishPriceAsync(60_010m);
    }

    [Fact]
    public async Task APricePublishedAsStaleIsReportedStaleAndTheInstanceDegraded()
    {
        var ct = TestContext.Current.CancellationToken;
        await fixture.PublishPriceAsync(60_040m, status: "stale");
        await Eventually.UntilAsync(() => fixture.Host.Get<PriceFeed>().Latest?.Price == 60_040m, "the feed to read 60,040", ct);
        var latest = await fixture.Host.Http.GetFromJsonAsync<JsonObject>("/prices/latest", ct).WaitAsync(Timeout, ct);
        Assert.Equal("stale", latest!["status"]!.ToString());
        var grid = await fixture.Host.Http.GetFromJsonAsync<JsonObject>("/grid", ct).WaitAsync(Timeout, ct);
        Assert.DoesNotContain(grid!["cells"]!.AsArray(), c => (bool)c!["bettable"]!);
        Assert.Equal("Degraded", await HealthAsync(fixture.Host, ct));
        await fixture.PublishPriceAsync(60_010m);
        await Eventually.UntilAsync(() => fixture.Host.Get<PriceFeed>().Latest?.Status == "ok", "the feed to read a fresh price", ct);
        Assert.Equal("Healthy", await HealthAsync(fixture.Host, ct));
    }
}
