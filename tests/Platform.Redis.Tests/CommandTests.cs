namespace Platform.Redis.Tests;

[Collection("redis")]
public sealed class CommandTests(RedisServerFixture fixture)
{
    [Fact]
    public async Task StringCommandsHonourExpiryAndConditions()
    {
        await using var mux = await fixture.ConnectAsync().Within();
        var db = mux.GetDatabase();
        var key = "str:" + Guid.NewGuid();
        Assert.True(await db.StringSetAsync(key, "a", TimeSpan.FromMinutes(5), When.NotExists).Within());
        Assert.False(await db.StringSetAsync(key, "b", when: When.NotExists).Within());
        Assert.False(await db.StringSetAsync(key + ":none", "b", when: When.Exists).Within());
        Assert.Equal("a", (string?)await db.StringGetAsync(key).Within());
        var ttl = await db.KeyTimeToLiveAsync(key).Within();
        Assert.InRange(ttl!.Value, TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(5));
        Assert.Equal("a", (string?)await db.StringSetAndGetAsync(key, "c").Within());
        Assert.Null(await db.KeyTimeToLiveAsync(key).Within()); // SET without expiry clears it
        Assert.True(await db.KeyExpireAsync(key, TimeSpan.FromSeconds(30)).Within());
        Assert.Equal("c", (string?)await db.StringGetDeleteAsync(key).Within());
        Assert.False(await db.KeyExistsAsync(key).Within());
        Assert.True((await db.StringGetAsync(key).Within()).IsNull);
        Assert.Equal(5, await db.StringIncrementAsync(key, 5).Within());
        Assert.Equal(6, await db.StringIncrementAsync(key).Within());
        Assert.Equal(4, await db.StringDecrementAsync(key, 2).Within());
        Assert.True(await db.KeyDeleteAsync(key).Within());
        Assert.False(await db.KeyDeleteAsync(key).Within());
    }

    [Fact]
    public async Task SortedSetRangesAndRemovalByScore()
    {
        await using var mux = await fixture.ConnectAsync().Within();
        var db = mux.GetDatabase();
        var key = "z:" + Guid.NewGuid();
        for (var i = 1; i <= 10; i++)
        {
            await db.SortedSetAddAsync(key, $"m{i}", i * 100).Within();
        }

        Assert.Equal(["m3"], (await db.SortedSetRangeByScoreAsync(key, 200, 400, Exclude.Both).Within()).Select(v => v.ToString()));
        Assert.Equal(["m10", "m9"], (await db.SortedSetRangeByScoreAsync(key, order: Order.Descending, take: 2).Within()).Select(v => v.ToString()));
        Assert.Equal(["m2"], (await db.SortedSetRangeByScoreAsync(key, skip: 1, take: 1).Within()).Select(v => v.ToString()));
        Assert.Equal(3, await db.SortedSetRemoveRangeByScoreAsync(key, double.NegativeInfinity, 300).Within());
        Assert.Equal(7, await db.SortedSetLengthAsync(key).Within());
    }

    [Fact]
    public async Task ScriptsReloadThemselvesAfterTheCacheIsFlushed()
    {
        await using var mux = await fixture.ConnectAsync().Within();
        var db = mux.GetDatabase();
        var script = new RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1])");
        var key = "script:" + Guid.NewGuid();
        Assert.Equal(2, (long)await db.ScriptEvaluateAsync(script, [key], [2]).Within());
        await db.ExecuteAsync("SCRIPT", "FLUSH").Within();
        Assert.Equal(5, (long)await db.ScriptEvaluateAsync(script, [key], [3]).Within());
        Assert.Equal(6, (long)await db.ScriptEvaluateAsync(script, [key], [1]).Within());
        var bad = await Assert.ThrowsAsync<RedisServerException>(() => db.ScriptEvaluateAsync("return redis.call('NOPE')")).Within();
        Assert.Contains("Unknown Redis command", bad.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task TransactionsApplyAtomicallyAndReportQueuedErrors()
    {
        await using var mux = await fixture.ConnectAsync().Within();
        var db = mux.GetDatabase();
        var key = "tx:" + Guid.NewGuid();
        var tx = db.CreateTransaction();
        var incr = tx.StringIncrementAsync(key, 10);
        var set = tx.HashSetAsync(key + ":h", "f", "v");
        var get = tx.StringGetAsync(key);
        Assert.True(await tx.ExecuteAsync().Within());
        Assert.Equal(10, await incr.Within());
        Assert.True(await set.Within());
        Assert.Equal(10, (long)await get.Within());

        // A runtime error inside EXEC fails that command only.
        var tx2 = db.CreateTransaction();
        var wrong = tx2.HashGetAsync(key, "f");
        var right = tx2.StringIncrementAsync(key);
        Assert.True(await tx2.ExecuteAsync().Within());
        await Assert.ThrowsAsync<RedisServerException>(() => wrong).Within();
        Assert.Equal(11, await right.Within());

        // A command rejected while queueing aborts the whole transaction.
        var tx3 = db.CreateTransaction();
        var bad = tx3.ExecuteAsync("NOPE");
        var skipped = tx3.StringIncrementAsync(key);
        await Assert.ThrowsAsync<RedisServerException>(() => tx3.ExecuteAsync()).Within();
        await Assert.ThrowsAsync<RedisServerException>(() => bad).Within();
        await Assert.ThrowsAsync<RedisServerException>(() => skipped).Within();
        Assert.Equal(11, (long)await db.StringGetAsync(key).Within());
    }

    [Fact]
    public async Task BatchesSendEverythingTogetherOnExecute()
    {
        await using var mux = await fixture.ConnectAsync().Within();
        var db = mux.GetDatabase();
        var key = "batch:" + Guid.NewGuid();
        var batch = db.CreateBatch();
        var tasks = Enumerable.Range(0, 100).Select(i => batch.ListRightPushAsync(key, i)).ToArray();
        Assert.False(tasks[0].IsCompleted);
        batch.Execute();
        var lengths = await Task.WhenAll(tasks).Within();
        Assert.Equal(Enumerable.Range(1, 100).Select(i => (long)i), lengths);
        Assert.Equal(100, await db.ListLengthAsync(key).Within());
    }

    [Fact]
    public async Task WaitReturnsTheNumberOfAcknowledgingReplicas()
    {
        await using var mux = await fixture.ConnectAsync().Within();
        var db = mux.GetDatabase();
        await db.StringSetAsync("wait:" + Guid.NewGuid(), 1).Within();
        Assert.Equal(0, await db.WaitAsync(0, TimeSpan.FromMilliseconds(100)).Within());
    }

    [Fact]
    public async Task ScanWalksEveryMatchingKey()
    {
        await using var mux = await fixture.ConnectAsync().Within();
        var db = mux.GetDatabase();
        var prefix = "scan:" + Guid.NewGuid().ToString("N");
        for (var i = 0; i < 600; i++)
        {
            _ = db.StringSetAsync($"{prefix}:{i}", i, flags: CommandFlags.FireAndForget);
        }

        await db.PingAsync().Within();
        var seen = new HashSet<string>();
        await foreach (var k in db.KeyScanAsync(prefix + ":*", 100).WithCancellation(TestContext.Current.CancellationToken))
        {
            seen.Add(k.ToString());
        }

        Assert.Equal(600, seen.Count);
    }

    [Fact]
    public async Task OtherDatabasesAreSelectedPerCommand()
    {
        await using var mux = await fixture.ConnectAsync().Within();
        var key = "db:" + Guid.NewGuid();
        await mux.GetDatabase(3).StringSetAsync(key, "three").Within();
        Assert.True((await mux.GetDatabase().StringGetAsync(key).Within()).IsNull);
        Assert.Equal("three", (string?)await mux.GetDatabase(3).StringGetAsync(key).Within());
    }
}
