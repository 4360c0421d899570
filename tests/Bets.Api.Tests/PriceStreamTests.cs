using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Bets.Api.Prices;
using Platform.TestSupport;

namespace Bets.Api.Tests;

// Both classes publish prices to the shared Redis; one collection keeps them from interleaving.
[Collection("Live prices")]
public sealed class PriceStreamTests(BetsFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private async Task<ClientWebSocket> ConnectAsync(CancellationToken ct)
    {
        var socket = new ClientWebSocket();
        var uri = new UriBuilder(fixture.Host.Address) { Scheme = "ws", Path = "/ws/prices" }.Uri;
        await socket.ConnectAsync(uri, ct).WaitAsync(Timeout, ct);
        return socket;
    }

    private static async Task<JsonObject> ReceiveAsync(ClientWebSocket socket, CancellationToken ct)
    {
        var buffer = new byte[1 << 20];
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

    [Fact]
    public async Task StreamSendsTheCurrentPriceThenEveryPublishedPriceAndTracksClients()
    {
        var ct = TestContext.Current.CancellationToken;
        await fixture.PublishPriceAsync(60_111m);
        await Eventually.UntilAsync(() => fixture.Host.Get<PriceFeed>().Latest?.Price == 60_111m, "the feed to read 60,111", ct);
        using var socket = await ConnectAsync(ct);
        Assert.Equal("60111", (await ReceiveAsync(socket, ct))["price"]!.ToString());

        var members = await fixture.Client.GetDatabase().SetMembersAsync("ws:clients").WaitAsync(Timeout, ct);
        Assert.NotEmpty(members);
        var before = members.Length;

        for (var i = 1; i <= 5; i++)
        {
            await fixture.PublishPriceAsync(60_111m + i);
            Assert.Equal((60_111 + i).ToString(System.Globalization.CultureInfo.InvariantCulture), (await ReceiveAsync(socket, ct))["price"]!.ToString());
        }

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", ct).WaitAsync(Timeout, ct);
        await Eventually.UntilAsync(async () => await fixture.Client.GetDatabase().SetLengthAsync("ws:clients") < before,
            "the closed socket to leave ws:clients", ct, TimeSpan.FromSeconds(10));
        await fixture.PublishPriceAsync(60_010m);
    }

    [Fact]
    public async Task ASlowClientGetsOnlyTheLatestPriceAndNeverQueues()
    {
        var ct = TestContext.Current.CancellationToken;
        var hub = fixture.Host.Get<PriceStreamHub>();
        using var slow = await ConnectAsync(ct);   // never reads
        using var fast = await ConnectAsync(ct);
        await ReceiveAsync(fast, ct);
        var padding = new string('x', 64 * 1024);   // large messages fill the socket buffers quickly
        var last = 0m;
        for (var i = 0; i < 300; i++)
        {
            last = 70_000m + i;
            hub.Publish($$"""{"price":"{{last}}","timestamp":{{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}},"status":"ok","sources":[],"pad":"{{padding}}"}""");
            Assert.All(hub.Stats(), s => Assert.InRange(s.Pending, 0, 1));
        }
        Assert.Contains(hub.Stats(), s => s.Skipped > 0);

        // The reading client still converges on the newest price.
        JsonObject message;
        do
        {
            message = await ReceiveAsync(fast, ct);
        }
        while (message["price"]!.ToString() != last.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await fixture.PublishPriceAsync(60_010m);
    }
}
