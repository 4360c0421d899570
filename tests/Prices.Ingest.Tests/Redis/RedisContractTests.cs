using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Platform.Prices.Contracts;
using Platform.TestSupport;
using Prices.Ingest.Publishing;
using Prices.Ingest.Tests.Fakes;
using StackExchange.Redis;
using static Prices.Ingest.Tests.Fakes.TestTimeouts;

namespace Prices.Ingest.Tests.Redis;

[Collection(RedisCollection.Name)]
public sealed class RedisContractTests(RedisFixture redis)
{
    [Fact]
    public async Task PublishedPricesFollowTheKeyTableAndTheMessageSchema()
    {
        await redis.ResetAsync();
        var queue = await redis.SubscribeToPricesAsync();
        try
        {
            await using (await PricesHost.StartAsync(PricesHost.Defaults(redis.Topology.ConnectionString, "contract")))
            {
                // Until the second simulated venue has ticked the price is honestly "stale"; take the first "ok" one.
                byte[] raw;
                var stale = 0;
                while (PriceMessage.Parse(raw = (byte[])(await queue.ReadAsync(Ct).AsTask().WaitAsync(Wait, Ct)).Message!).Status == "stale")
                {
                    Assert.True(++stale <= 2, "the price stayed stale with three venues ticking");
                }

                using var json = JsonDocument.Parse(raw);
                var root = json.RootElement;
                Assert.Equal(["symbol", "price", "timestamp", "status", "sources", "writer", "seq", "id"], root.EnumerateObject().Select(p => p.Name));
                Assert.Equal("BTC/USD", root.GetProperty("symbol").GetString());
                Assert.Equal(JsonValueKind.String, root.GetProperty("price").ValueKind);
                var price = decimal.Parse(root.GetProperty("price").GetString()!, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
                var timestamp = root.GetProperty("timestamp").GetInt64();
                Assert.InRange(timestamp, DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds());
                Assert.Equal("ok", root.GetProperty("status").GetString());
                Assert.Equal("contract", root.GetProperty("writer").GetString());
                var seq = root.GetProperty("seq").GetInt64();
                Assert.Equal($"contract:{seq}", root.GetProperty("id").GetString());
                var sources = root.GetProperty("sources").EnumerateArray().ToList();
                Assert.InRange(sources.Count, 2, 3);
                Assert.All(sources, s =>
                {
                    Assert.Equal(["name", "price", "quote", "timestamp"], s.EnumerateObject().Select(p => p.Name));
                    Assert.StartsWith("sim-", s.GetProperty("name").GetString(), StringComparison.Ordinal);
                    Assert.Equal(JsonValueKind.String, s.GetProperty("price").ValueKind);
                    Assert.Equal("USD", s.GetProperty("quote").GetString());
                });

                var db = redis.Client.GetDatabase();
                Assert.Equal("string", (string?)await db.ExecuteAsync("TYPE", "price:btc:usd").WaitAsync(Wait, Ct));
                Assert.Equal("zset", (string?)await db.ExecuteAsync("TYPE", "prices:btc:usd:ts").WaitAsync(Wait, Ct));
                var ttl = await db.KeyTimeToLiveAsync("price:btc:usd").WaitAsync(Wait, Ct);
                Assert.InRange(ttl!.Value, TimeSpan.FromSeconds(3590), TimeSpan.FromSeconds(3600));
                var historyTtl = await db.KeyTimeToLiveAsync("prices:btc:usd:ts").WaitAsync(Wait, Ct);
                Assert.InRange(historyTtl!.Value, TimeSpan.FromDays(7) - TimeSpan.FromMinutes(1), TimeSpan.FromDays(7));

                // The history entry of this very message: member "<price>:<writer>:<seq>", score = its timestamp.
                var member = $"{root.GetProperty("price").GetString()}:contract:{seq}";
                Assert.Equal(timestamp, await db.SortedSetScoreAsync("prices:btc:usd:ts", member).WaitAsync(Wait, Ct));
                Assert.Equal(price, PriceMessage.Parse(raw).Price);

                var latest = PriceMessage.Parse((byte[])(await db.StringGetAsync("price:btc:usd").WaitAsync(Wait, Ct))!);
                Assert.Equal("contract", latest.Writer);
                Assert.True(latest.Seq >= seq);
            }

            // A graceful stop hands the lease over at once.
            Assert.False(await redis.Client.GetDatabase().KeyExistsAsync("prices:btc:usd:writer").WaitAsync(Wait, Ct));
        }
        finally
        {
            await queue.UnsubscribeAsync();
        }
    }

    [Fact]
    public async Task ARepeatedPriceBecomesANewHistoryMemberEachTime()
    {
        await redis.ResetAsync();
        var (lease, publisher, _) = redis.Writer("repeat", TimeSpan.FromSeconds(10));
        Assert.True(await lease.TryAcquireOrRenewAsync().WaitAsync(Wait, Ct));
        const long at = 1_900_000_000_000;

        var results = new List<PublishResult>();
        for (var seq = 1; seq <= 3; seq++)
        {
            var message = new PriceMessage("BTC/USD", 64000.00m, at + (seq == 3 ? 1 : 0), "ok", [], "repeat", seq);
            results.Add(await publisher.PublishAsync(message, Ct).WaitAsync(Wait, Ct));
        }

        Assert.All(results, r => Assert.Equal(PublishOutcome.Published, r.Outcome));
        Assert.Equal([null, 0, 1], results.Select(r => r.GapMs));
        var entries = await redis.Client.GetDatabase().SortedSetRangeByScoreWithScoresAsync("prices:btc:usd:ts").WaitAsync(Wait, Ct);
        Assert.Equal(["64000.00:repeat:1", "64000.00:repeat:2", "64000.00:repeat:3"], entries.Select(e => e.Element.ToString()));
        Assert.Equal([at, at, at + 1], entries.Select(e => (long)e.Score));
    }

    [Fact]
    public async Task EntriesOlderThanSevenDaysByTheInjectedClockAreTrimmedPeriodically()
    {
        await redis.ResetAsync();
        // The service runs in 2031 by its injected clock; time still passes (the feed needs it to emit).
        var time = new ShiftedTimeProvider(new DateTimeOffset(2031, 3, 10, 12, 0, 0, TimeSpan.Zero) - DateTimeOffset.UtcNow);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var week = (long)TimeSpan.FromDays(7).TotalMilliseconds;
        var db = redis.Client.GetDatabase();
        await db.SortedSetAddAsync("prices:btc:usd:ts",
        [
            new SortedSetEntry("1.00:old:1", now - week - 86_400_000),
            new SortedSetEntry("1.00:old:2", now - week - 1),
            new SortedSetEntry("1.00:edge:3", now - week + 120_000),
            new SortedSetEntry("1.00:recent:4", now - 86_400_000),
        ]).WaitAsync(Wait, Ct);

        var settings = PricesHost.Defaults(redis.Topology.ConnectionString, "trimmer");
        settings["Prices:Publishing:TrimInterval"] = "00:00:01";
        await using (await PricesHost.StartAsync(settings, time))
        {
            await Eventually.UntilAsync(async () =>
            {
                var old = await db.SortedSetRangeByScoreAsync("prices:btc:usd:ts", stop: now - week - 1);
                var written = await db.SortedSetRangeByScoreAsync("prices:btc:usd:ts", start: now);
                return old.Length == 0 && written.Length > 0;
            }, "the trimmer to drop prices older than a week while new ones are written", TestContext.Current.CancellationToken);
        }

        var members = (await db.SortedSetRangeByScoreAsync("prices:btc:usd:ts", stop: now - 1).WaitAsync(Wait, Ct)).Select(m => m.ToString());
        Assert.Equal(["1.00:edge:3", "1.00:recent:4"], members);

        // A day later, by the injected clock, the edge entry is past the retention too.
        time.Offset += TimeSpan.FromDays(1);
        var trimmer = new HistoryTrimmer(redis.Client, new HeldLease(), Options.Create(new PublishingOptions()), time, NullLogger<HistoryTrimmer>.Instance);
        Assert.Equal(1, await trimmer.TrimAsync().WaitAsync(Wait, Ct));
        Assert.Null(await db.SortedSetScoreAsync("prices:btc:usd:ts", "1.00:edge:3").WaitAsync(Wait, Ct));
        Assert.NotNull(await db.SortedSetScoreAsync("prices:btc:usd:ts", "1.00:recent:4").WaitAsync(Wait, Ct));
    }

    private sealed class HeldLease : IWriterLease
    {
        public string Owner => "held";

        public bool IsHeld => true;

        public bool HeldElsewhere => false;

        public void MarkLost()
        {
        }
    }
}
