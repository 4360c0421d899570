using System.Security.Cryptography;

namespace Platform.Redis.Tests;

[Collection("redis")]
public sealed class ProtocolTests(RedisServerFixture fixture)
{
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task EveryReplyTypeIsReadInBothProtocols(int protocol)
    {
        await using var mux = await fixture.ConnectAsync($",protocol=resp{protocol}").Within();
        var db = mux.GetDatabase();

        async Task<RedisResult> Debug(string type) => await db.ExecuteAsync("DEBUG", "PROTOCOL", type).Within();

        var s = await Debug("string");
        Assert.Equal(ResultType.BulkString, s.Type);
        Assert.Equal("Hello World", (string?)s);

        var i = await Debug("integer");
        Assert.Equal(ResultType.Integer, i.Type);
        Assert.Equal(12345L, (long)i);

        var d = await Debug("double");
        Assert.Equal(protocol == 3 ? ResultType.Double : ResultType.BulkString, d.Type);
        Assert.Equal(3.141, (double)d, 3);

        var big = await Debug("bignum");
        Assert.Equal(protocol == 3 ? ResultType.BigNumber : ResultType.BulkString, big.Type);
        Assert.Equal("1234567999999999999999999999999999999", (string?)big);

        var nil = await Debug("null");
        Assert.True(nil.IsNull);

        var array = await Debug("array");
        Assert.Equal(ResultType.Array, array.Type);
        Assert.Equal([0L, 1L, 2L], array.ToArray().Select(r => (long)r));

        var set = await Debug("set");
        Assert.Equal(protocol == 3 ? ResultType.Set : ResultType.Array, set.Type);
        Assert.Equal(3, set.Length);

        var map = await Debug("map");
        Assert.Equal(protocol == 3 ? ResultType.Map : ResultType.Array, map.Type);
        Assert.Equal(6, map.Length); // key and value per entry

        var verbatim = await Debug("verbatim");
        Assert.Equal(protocol == 3 ? ResultType.VerbatimString : ResultType.BulkString, verbatim.Type);
        Assert.Equal("This is a verbatim\nstring", (string?)verbatim);

        var t = await Debug("true");
        Assert.True((bool)t);
        Assert.Equal(protocol == 3 ? ResultType.Boolean : ResultType.Integer, t.Type);
        Assert.False((bool)await Debug("false"));

        // An attribute in front of a reply is skipped; the reply is what the command gets.
        var attributed = await Debug("attrib");
        Assert.Equal("Some real reply following the attribute", (string?)attributed);

        if (protocol == 3)
        {
            // A push frame arriving on the command connection is not mistaken for the reply.
            Assert.Equal("Some real reply following the push reply", (string?)await Debug("push"));
        }

        var simple = await db.ExecuteAsync("PING").Within();
        Assert.Equal(ResultType.SimpleString, simple.Type);
        Assert.Equal("PONG", (string?)simple);

        var nested = await db.ScriptEvaluateAsync("return {1, {'a', {2, 'b'}}, 'c'}").Within();
        Assert.Equal("b", (string?)nested[1][1][1]);

        var error = await Assert.ThrowsAsync<RedisServerException>(() => db.ExecuteAsync("DEBUG", "PROTOCOL", "nope")).Within();
        Assert.Contains("Wrong protocol type name", error.Message, StringComparison.Ordinal);

        // The connection is still in step after all of the above.
        Assert.Equal("after", (string?)await db.ExecuteAsync("ECHO", "after").Within());
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task TypedRepliesParseInBothProtocols(int protocol)
    {
        await using var mux = await fixture.ConnectAsync($",protocol=resp{protocol}").Within();
        var db = mux.GetDatabase();
        var key = $"typed:{protocol}";
        await db.KeyDeleteAsync([key + ":h", key + ":z", key + ":s"]).Within();
        await db.HashSetAsync(key + ":h", [new HashEntry("a", 1), new HashEntry("b", "two")]).Within();
        var hash = await db.HashGetAllAsync(key + ":h").Within();
        Assert.Equal(["a=1", "b=two"], hash.Select(e => $"{e.Name}={e.Value}").Order());

        await db.SortedSetAddAsync(key + ":z", [new SortedSetEntry("x", 1.5), new SortedSetEntry("y", 2), new SortedSetEntry("z", 3)]).Within();
        var ranged = await db.SortedSetRangeByScoreWithScoresAsync(key + ":z", 1, 3, Exclude.Stop).Within();
        Assert.Equal([("x", 1.5), ("y", 2.0)], ranged.Select(e => (e.Element.ToString(), e.Score)));
        Assert.Equal(1.5, await db.SortedSetScoreAsync(key + ":z", "x").Within());
        Assert.Null(await db.SortedSetScoreAsync(key + ":z", "missing").Within());

        await db.SetAddAsync(key + ":s", ["p", "q"]).Within();
        Assert.Equal(["p", "q"], (await db.SetMembersAsync(key + ":s").Within()).Select(v => v.ToString()).Order());
    }

    [Fact]
    public async Task A32MegabyteValueRoundTrips()
    {
        await using var mux = await fixture.ConnectAsync().Within();
        var db = mux.GetDatabase();
        var value = RandomNumberGenerator.GetBytes(32 * 1024 * 1024);
        Assert.True(await db.StringSetAsync("big", value).Within(Waits.Long));
        var back = (byte[]?)await db.StringGetAsync("big").Within(Waits.Long);
        Assert.NotNull(back);
        Assert.True(value.AsSpan().SequenceEqual(back));
        await db.KeyDeleteAsync("big").Within();
    }

    [Fact]
    public async Task TenThousandConcurrentCommandsEachGetTheirOwnReply()
    {
        await using var mux = await fixture.ConnectAsync().Within();
        var db = mux.GetDatabase();
        const int perTask = 250;
        var run = Guid.NewGuid().ToString("N");
        var workers = Enumerable.Range(0, 40).Select(w => Task.Run(async () =>
        {
            var pending = new List<(int I, Task<RedisValue> Echo, Task<long> Incr)>();
            for (var i = 0; i < perTask; i++)
            {
                var n = (w * perTask) + i;
                pending.Add((n, db.ExecuteAsync("ECHO", $"v{n}").ContinueWith(t => (RedisValue)t.Result, TaskScheduler.Default),
                    db.StringIncrementAsync($"conc:{run}:{n}", n)));
            }

            foreach (var (n, echo, incr) in pending)
            {
                Assert.Equal($"v{n}", (await echo).ToString());
                Assert.Equal(n, await incr);
            }
        })).ToArray();
        await Task.WhenAll(workers).Within(Waits.Long);
        await db.KeyDeleteAsync(Enumerable.Range(0, 40 * perTask).Select(n => (RedisKey)$"conc:{run}:{n}").ToArray()).Within();
    }

    [Fact]
    public async Task ServerErrorsSurfaceWithTheServersMessage()
    {
        await using var mux = await fixture.ConnectAsync().Within();
        var db = mux.GetDatabase();
        await db.StringSetAsync("err:str", "text").Within();
        var e = await Assert.ThrowsAsync<RedisServerException>(() => db.HashGetAsync("err:str", "f")).Within();
        Assert.StartsWith("WRONGTYPE", e.Message, StringComparison.Ordinal);
        var nan = await Assert.ThrowsAsync<RedisServerException>(() => db.StringIncrementAsync("err:str")).Within();
        Assert.Contains("not an integer", nan.Message, StringComparison.Ordinal);
        Assert.Equal("text", (await db.StringGetAsync("err:str").Within()).ToString());
    }
}
