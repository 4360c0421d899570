using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Platform.TestSupport;
using StackExchange.Redis;

[assembly: AssemblyFixture(typeof(Bets.Api.Tests.BetsFixture))]

namespace Bets.Api.Tests;

/// <summary>One Redis (master, replica, three Sentinels) and one Bets.Api instance for the whole assembly.</summary>
public sealed class BetsFixture : IAsyncLifetime
{
    private long _seq;
    public RedisTopology Redis { get; private set; } = null!;
    public ConnectionMultiplexer Client { get; private set; } = null!;
    public string Folder { get; } = Directory.CreateTempSubdirectory("bets-api-tests-").FullName;
    public BetsHost Host { get; private set; } = null!;
    public string Database => Path.Combine(Folder, "bets.db");

    public async ValueTask InitializeAsync()
    {
        Redis = await RedisTopology.StartAsync(new RedisTopologyOptions { Replicas = 1, Sentinels = 3 });
        Client = await ConnectionMultiplexer.ConnectAsync(Redis.ConnectionString);
        await PublishPriceAsync(60_010m);
        Host = await BetsHost.StartAsync(Redis.ConnectionString, Database);
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await Client.DisposeAsync();
        await Redis.DisposeAsync();
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { }
    }

    /// <summary>Publishes a price exactly as Prices.Ingest does: the key, the history member and the channel message.</summary>
    public async Task PublishPriceAsync(decimal price, string status = "ok", long? timestamp = null)
    {
        var ts = timestamp ?? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var seq = Interlocked.Increment(ref _seq);
        var p = price.ToString(CultureInfo.InvariantCulture);
        var json = $$"""{"symbol":"BTC/USD","price":"{{p}}","timestamp":{{ts}},"status":"{{status}}","sources":[{"name":"test","price":"{{p}}","quote":"USD","timestamp":{{ts}}}],"writer":"tests","seq":{{seq}},"id":"tests:{{seq}}"}""";
        var db = Client.GetDatabase();
        await db.StringSetAsync("price:btc:usd", json, TimeSpan.FromHours(1));
        await db.SortedSetAddAsync("prices:btc:usd:ts", $"{p}:tests:{seq}", ts);
        await db.PublishAsync(RedisChannel.Literal("prices:btc:usd"), json);
    }

    /// <summary>Signs in a fresh wallet through the API with an ethers-signed message; returns a client carrying its token.</summary>
    public async Task<(HttpClient Client, string Wallet)> SignInAsync(BetsHost host, CancellationToken ct, string? key = null)
    {
        var nonce = (await host.Http.GetFromJsonAsync<JsonObject>("/auth/nonce", ct))!["nonce"]!.ToString();
        var signed = (await Signer.SignAsync([Signer.Request(key ?? Signer.RandomKey(), nonce)], ct))[0];
        var response = await host.Http.PostAsJsonAsync("/auth/verify", new { message = signed.Message, signature = signed.Signature }, ct);
        response.EnsureSuccessStatusCode();
        var token = (await response.Content.ReadFromJsonAsync<JsonObject>(ct))!["token"]!.ToString();
        var client = new HttpClient { BaseAddress = host.Address, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return (client, signed.Address);
    }
}
