using Platform.TestSupport;
using Sync.Api.Playback;
using Sync.Api.Realtime;

namespace Sync.Api.Tests;

public sealed class FuzzTests(SyncCluster cluster)
{
    private static readonly HashSet<string> AcceptableRefusals =
        [ErrorCodes.Stale, ErrorCodes.NotWaiting, ErrorCodes.PositionMismatch, ErrorCodes.SeekOutOfRange];

    [Fact]
    public async Task ConcurrentRandomCommandsOnBothInstancesConvergeOnOneTimelineWithoutGoingBack()
    {
        const int clientsPerInstance = 5;
        const int commandsPerClient = 30;
        var host = await cluster.GuestAsync("host");
        var room = await cluster.CreateRoomAsync(host);
        var clients = new List<SyncClient> { await cluster.JoinAsync(host, room.Id, 0) };
        for (var i = 1; i < clientsPerInstance * 2; i++)
        {
            clients.Add(await cluster.JoinAsync(await cluster.GuestAsync($"fuzz{i}", i % 2), room.Id, i % 2));
        }

        await clients[0].Call<Timeline>("ChangeMedia", null, "https://media.example/fuzz.webm", null, 300_000L);
        var committed = new System.Collections.Concurrent.ConcurrentBag<Timeline>();
        var unexpected = new System.Collections.Concurrent.ConcurrentBag<string>();

        await Task.WhenAll(clients.Select((client, index) => Task.Run(async () =>
        {
            var random = new Random(1000 + index);
            for (var n = 0; n < commandsPerClient; n++)
            {
                long? seq = random.Next(2) == 0 ? null : client.Latest?.Seq;
                var position = client.Latest?.PositionMs ?? 0;
                var result = random.Next(8) switch
                {
                    0 => await client.Try<Timeline>("Play", seq),
                    1 => await client.Try<Timeline>("Pause", seq),
                    2 => await client.Try<Timeline>("Seek", seq, random.NextDouble() * 300_000),
                    3 => await client.Try<Timeline>("SetSpeed", seq, 0.5 + (random.Next(7) * 0.25)),
                    4 or 5 => await client.Try<Timeline>("ReportReady", position),
                    6 => await client.Try<Timeline>("ReportBuffering", position),
                    _ => await client.Try<Timeline>("Seek", seq, -1.0),
                };
                if (result.Ok)
                {
                    committed.Add(result.Value!);
                }
                else if (!AcceptableRefusals.Contains(result.Error!.Code))
                {
                    unexpected.Add(result.Error.Code);
                }

                await Task.Delay(random.Next(0, 8), TestContext.Current.CancellationToken);
            }
        }, TestContext.Current.CancellationToken)));

        Assert.Empty(unexpected);
        // Let any buffering deadline pass so the room settles, then everyone must hold the same final state.
        var final = await WaitForQuietAsync(clients[0]);
        foreach (var client in clients)
        {
            await client.WaitForSeqAsync(final.Seq);
            Assert.Equal(SyncClient.Json(final), SyncClient.Json(client.Latest));
        }

        // One state per seq, everywhere: no two commands won the same seq, and nobody saw a different state under it.
        var bySeq = clients.SelectMany(c => c.Applied).Concat(committed).GroupBy(t => t.Seq);
        Assert.All(bySeq, g => Assert.Single(g.Select(SyncClient.Json).Distinct()));
        Assert.All(clients, c => Assert.True(c.Applied.Select(t => t.Seq).SequenceEqual(c.Applied.Select(t => t.Seq).Order())));
        Assert.True(committed.Count > commandsPerClient, $"only {committed.Count} commands committed");

        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }
    }

    /// <summary>
    /// The room is final once nobody is waited for: every command has been answered, and the server moves a timeline
    /// on its own only to end a wait (its deadline, or a pending member who left).
    /// </summary>
    private static Task<Timeline> WaitForQuietAsync(SyncClient client) =>
        Eventually.UntilAsync(async () => (await client.Call<Snapshot>("GetSnapshot")).Timeline, now => now.Waiting is null,
            "the room to settle (nobody waited for)", TestContext.Current.CancellationToken, SyncCluster.Timeout);
}
