using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using Sync.Api.Playback;

namespace Sync.Api.Tests;

/// <summary>What an instance keeps per room is bounded by the rooms in use, not by every room it has ever seen.</summary>
public sealed class RoomStateTests(SyncCluster cluster)
{
    private const int Rooms = 10_000;
    private const int Batch = 250;

    [Fact]
    public async Task TenThousandRoomsTouchedOnceLeaveNoStateBehindOnceIdle()
    {
        var ct = TestContext.Current.CancellationToken;
        var app = await SyncCluster.StartInstanceAsync(cluster.Redis.ConnectionString, cluster.Postgres.ConnectionString("syncdb"), ct,
            new Dictionary<string, string?>
            {
                // The instance's own sweep leaves them alone; the test says when they have gone idle.
                ["Sync:RoomStateIdleAfter"] = "01:00:00",
            });
        try
        {
            var store = app.Services.GetRequiredService<TimelineStore>();
            await using var redis = await ConnectionMultiplexer.ConnectAsync(cluster.Redis.ConnectionString);
            var prefix = $"idle-{Guid.NewGuid():N}-";
            var db = redis.GetDatabase();
            await Task.WhenAll(Enumerable.Range(0, Rooms).Select(i =>
            {
                var timeline = Timeline.Empty(prefix + i, store.NowMs);
                return db.HashSetAsync(TimelineStore.Key(timeline.RoomId), [new("seq", 0), new("state", SyncJson.Serialize(timeline))]);
            }));
            var held = await TouchEveryRoomAsync(store, prefix);

            Assert.True(store.RoomsHeld >= Rooms, $"the instance holds {store.RoomsHeld} rooms after touching {Rooms}");
            Assert.Equal(Rooms, Alive(held));

            Assert.Equal(0, store.RoomsHeld - store.ForgetIdle(TimeSpan.Zero));
            Assert.Equal(0, store.RoomsHeld);

            // Nothing else in the instance kept them either, but for at most the last batch of reads: the Redis client
            // can hold on to its last replies, and through them to that batch, until it has something else to do.
            var alive = Alive(held);
            Assert.True(alive <= Batch, $"{alive} of {Rooms} timelines are still alive after their rooms were forgotten");
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
        }
    }

    // Every room is touched once: a read, which keeps its timeline and makes its slot. Only weak references come back,
    // so that nothing of this method's own keeps a timeline alive.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static async Task<List<WeakReference<Timeline>>> TouchEveryRoomAsync(TimelineStore store, string prefix)
    {
        var held = new List<WeakReference<Timeline>>(Rooms);
        foreach (var batch in Enumerable.Range(0, Rooms).Chunk(Batch))
        {
            var timelines = await Task.WhenAll(batch.Select(i => store.GetAsync(prefix + i, TestContext.Current.CancellationToken)));
            held.AddRange(timelines.Select(t => new WeakReference<Timeline>(t)));
        }

        return held;
    }

    private static int Alive(List<WeakReference<Timeline>> timelines)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return timelines.Count(t => t.TryGetTarget(out _));
    }
}
