using System.Collections.Concurrent;
using System.Text.Json;
using Platform.TestSupport;
using Sync.Api.Playback;
using Sync.Api.Realtime;
using Sync.Api.Rooms;

namespace Sync.Api.Tests;

public sealed class HubCallException(HubError error) : Exception($"{error.Code}: {error.Message}")
{
    public HubError Error { get; } = error;
}

/// <summary>
/// A test participant: a hub connection that applies timelines the way the README tells clients to (only a higher
/// seq) and records everything it is sent.
/// </summary>
public sealed class SyncClient : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly List<Timeline> _applied = [];

    public SyncClient(Guest guest, HubClient client)
    {
        Guest = guest;
        Hub = client;
        client.On<Timeline>("TimelineChanged", Apply);
        OnState<IReadOnlyList<Rooms.Member>>("MembersChanged", "members", m => Members = m);
        OnState<IReadOnlyList<QueueItem>>("QueueChanged", "queue", q => Queue = q);
        client.On<ChatMessage>("ChatReceived", Chat.Enqueue);
        client.On<Reaction>("ReactionReceived", Reactions.Enqueue);
        OnState<IReadOnlyList<VoicePeer>>("VoiceChanged", "voice", v => Voice = v);
        client.On<Signal>("SignalReceived", Signals.Enqueue);
        OnState<Room>("RoomChanged", "room", r => Room = r);
        client.On("ResyncRequested", _ => Interlocked.Increment(ref _resyncs));
    }

    private int _resyncs;
    private readonly Dictionary<string, long> _revisions = new(StringComparer.Ordinal);

    /// <summary>Room state lists apply only with a higher revision than the last applied, as the README says.</summary>
    private void OnState<T>(string target, string kind, Action<T> apply) => Hub.On(target, args =>
    {
        var revision = args[1].GetInt64();
        lock (_lock)
        {
            if (_revisions.TryGetValue(kind, out var last) && revision <= last)
            {
                StaleStateDeliveries++;
                return;
            }

            _revisions[kind] = revision;
            apply(args[0].Deserialize<T>(Hub.Json)!);
        }
    });

    /// <summary>Applies a snapshot's state lists unless newer broadcasts overtook them.</summary>
    public void Apply(Snapshot snapshot)
    {
        lock (_lock)
        {
            bool Fresh(string kind)
            {
                if (_revisions.TryGetValue(kind, out var last) && last > snapshot.Revision)
                {
                    return false;
                }

                _revisions[kind] = snapshot.Revision;
                return true;
            }

            if (Fresh("members"))
            {
                Members = snapshot.Members;
            }

            if (Fresh("queue"))
            {
                Queue = snapshot.Queue;
            }

            if (Fresh("voice"))
            {
                Voice = snapshot.Voice;
            }

            if (Fresh("room"))
            {
                Room = snapshot.Room;
            }
        }

        Apply(snapshot.Timeline);
    }

    /// <summary>State lists dropped because a newer revision was already applied.</summary>
    public int StaleStateDeliveries { get; private set; }

    public Guest Guest { get; }

    public HubClient Hub { get; }

    public Timeline? Latest { get; private set; }

    public int StaleDeliveries { get; private set; }

    public int Resyncs => Volatile.Read(ref _resyncs);

    public IReadOnlyList<Rooms.Member>? Members { get; private set; }

    public IReadOnlyList<QueueItem>? Queue { get; private set; }

    public IReadOnlyList<VoicePeer>? Voice { get; private set; }

    public Room? Room { get; private set; }

    public ConcurrentQueue<ChatMessage> Chat { get; } = new();

    public ConcurrentQueue<Reaction> Reactions { get; } = new();

    public ConcurrentQueue<Signal> Signals { get; } = new();

    public IReadOnlyList<Timeline> Applied
    {
        get
        {
            lock (_lock)
            {
                return [.. _applied];
            }
        }
    }

    public void Apply(Timeline? timeline)
    {
        if (timeline is null)
        {
            return;
        }

        lock (_lock)
        {
            if (Latest is null || timeline.Seq > Latest.Seq)
            {
                Latest = timeline;
                _applied.Add(timeline);
            }
            else if (timeline.Seq < Latest.Seq)
            {
                // Possible across instances (the backplane does not order two servers' sends); ignored, as the README says.
                StaleDeliveries++;
            }
        }
    }

    public async Task<HubResult<T>> Try<T>(string method, params object?[] args)
    {
        var result = await Hub.InvokeRawAsync(method, args, TestContext.Current.CancellationToken)
            .WaitAsync(SyncCluster.Timeout, TestContext.Current.CancellationToken);
        var typed = result.Deserialize<HubResult<T>>(Hub.Json)!;
        if (typed.Value is Timeline t)
        {
            Apply(t);
        }

        return typed;
    }

    public async Task<T> Call<T>(string method, params object?[] args)
    {
        var result = await Try<T>(method, args);
        return result.Ok ? result.Value! : throw new HubCallException(result.Error!);
    }

    public async Task<HubError> Refused<T>(string method, params object?[] args)
    {
        var result = await Try<T>(method, args);
        Assert.False(result.Ok, $"{method} was expected to be refused");
        return result.Error!;
    }

    /// <summary>Polls a condition on this client (no timing assertion: only a generous ceiling).</summary>
    public Task WaitForAsync(Func<SyncClient, bool> condition, string what) =>
        Eventually.UntilAsync(() => condition(this), $"{Guest.Name} to see {what}", TestContext.Current.CancellationToken, SyncCluster.Timeout,
            () => $"latest seq {Latest?.Seq}");

    public Task WaitForSeqAsync(long seq) => WaitForAsync(c => c.Latest?.Seq >= seq, $"seq {seq}");

    private CancellationTokenSource? _heartbeats;

    /// <summary>Heartbeats as a browser would (tests run with a 2 s presence expiry).</summary>
    public void StartHeartbeats(TimeSpan? every = null)
    {
        StopHeartbeats();
        var cts = _heartbeats = new CancellationTokenSource();
        _ = Task.Run(async () =>
        {
            while (!cts.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(every ?? TimeSpan.FromMilliseconds(400), cts.Token);
                    await Hub.InvokeRawAsync("Heartbeat", [null], cts.Token);
                }
                catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException)
                {
                    return;
                }
            }
        });
    }

    public void StopHeartbeats()
    {
        _heartbeats?.Cancel();
        _heartbeats?.Dispose();
        _heartbeats = null;
    }

    public static string Json(Timeline? t) => SyncJson.Serialize(t);

    public async ValueTask DisposeAsync()
    {
        StopHeartbeats();
        await Hub.DisposeAsync();
    }
}
