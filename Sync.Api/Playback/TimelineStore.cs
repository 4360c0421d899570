using System.Collections.Concurrent;
using StackExchange.Redis;
using Sync.Api.Rooms;

namespace Sync.Api.Playback;

/// <summary>
/// The room timeline in Redis (<c>sync:room:{id}:timeline</c>). It changes only through <see cref="Cas"/>, which
/// writes a new state only if the stored seq is still the one the change was computed from; so concurrent commands on
/// any instance are ordered and a stale one is refused with the state that won. A committed change waits for a replica
/// to acknowledge it (so a failover cannot take back a state that clients already applied), then goes to the room's
/// group, and is copied to PostgreSQL behind the scenes for the case where Redis loses the key.
/// </summary>
public sealed partial class TimelineStore(
    IConnectionMultiplexer redis,
    RoomStore rooms,
    ITimelineBroadcast outbox,
    TimeProvider time,
    ILogger<TimelineStore> logger)
{
    /// <summary>A timeline rebuilt from PostgreSQL jumps ahead so that no client mistakes it for an older state.</summary>
    public const long RestoreSeqJump = 1_000_000;

    public const string WaitsKey = "sync:waits";
    private static readonly TimeSpan KeyTtl = TimeSpan.FromDays(7);

    // KEYS: timeline, waits. ARGV: expected seq, new seq, new state, ttl ms, room id, wait deadline or "".
    private const string Cas = """
        local cur = redis.call('HGET', KEYS[1], 'seq')
        if cur ~= ARGV[1] then return {0, redis.call('HGET', KEYS[1], 'state') or ''} end
        redis.call('HSET', KEYS[1], 'seq', ARGV[2], 'state', ARGV[3])
        redis.call('PEXPIRE', KEYS[1], ARGV[4])
        if ARGV[6] == '' then redis.call('ZREM', KEYS[2], ARGV[5]) else redis.call('ZADD', KEYS[2], ARGV[6], ARGV[5]) end
        return {1, ARGV[3]}
        """;

    // KEYS: timeline. ARGV: seq, state, ttl ms. Creates the key unless another instance did first; says which.
    private const string Init = """
        local cur = redis.call('HGET', KEYS[1], 'state')
        if cur then return {0, cur} end
        redis.call('HSET', KEYS[1], 'seq', ARGV[1], 'state', ARGV[2])
        redis.call('PEXPIRE', KEYS[1], ARGV[3])
        return {1, ARGV[2]}
        """;

    private readonly ConcurrentDictionary<string, Timeline> _unsaved = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RoomSlot> _rooms = new(StringComparer.Ordinal);

    /// <summary>What this instance keeps of a room between commands: dropped by <see cref="ForgetIdle"/>.</summary>
    private sealed class RoomSlot(long now)
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public Timeline? Latest { get; set; }

        public long LastUsed { get; set; } = now;
    }

    /// <summary>Rooms this instance keeps state for.</summary>
    public int RoomsHeld => _rooms.Count;

    public static string Key(string roomId) => $"sync:room:{roomId}:timeline";

    public long NowMs => time.GetUtcNow().ToUnixTimeMilliseconds();

    public async Task<Timeline> GetAsync(string roomId, CancellationToken ct = default)
    {
        var state = await redis.GetDatabase().HashGetAsync(Key(roomId), "state");
        var timeline = state.HasValue ? SyncJson.Deserialize<Timeline>(state.ToString()) : await RestoreAsync(roomId, ct);
        Slot(roomId).Latest = timeline;
        return timeline;
    }

    /// <summary>
    /// Applies <paramref name="transition"/> atomically. With <paramref name="expectedSeq"/> the command is refused
    /// (<c>stale</c>, carrying the current state) if the room moved on; without, it is retried on top of the winner.
    /// </summary>
    public async Task<Timeline> UpdateAsync(string roomId, long? expectedSeq, Func<Timeline, Timeline> transition, CancellationToken ct = default)
    {
        // Commands for one room on this instance take turns: the script still orders them against other instances,
        // but they no longer race each other into refused writes and retries, and this instance sends in seq order.
        var gate = Slot(roomId).Gate;
        await gate.WaitAsync(ct);
        (Timeline Timeline, Task? Sent) result;
        try
        {
            result = await UpdateLockedAsync(roomId, expectedSeq, transition, ct);
        }
        finally
        {
            gate.Release();
        }

        // Outside the gate: the next command of the room is already being judged while this one is replicated and sent.
        if (result.Sent is { } sent)
        {
            await sent;
        }

        return result.Timeline;
    }

    private async Task<(Timeline, Task?)> UpdateLockedAsync(string roomId, long? expectedSeq, Func<Timeline, Timeline> transition, CancellationToken ct)
    {
        // The last state this instance wrote or saw saves a read; if another instance moved on, the script says so.
        var current = Slot(roomId).Latest;
        var fresh = current is null;
        if (fresh || (expectedSeq is { } e0 && e0 != current!.Seq))
        {
            current = await GetAsync(roomId, ct);
            fresh = true;
        }

        for (var attempt = 0; attempt < 16; attempt++)
        {
            if (expectedSeq is { } expected && expected != current!.Seq)
            {
                throw new SyncException(ErrorCodes.Stale, $"The room is at seq {current.Seq}, not {expected}.", current);
            }

            Timeline next;
            try
            {
                next = transition(current!);
            }
            catch (SyncException) when (!fresh)
            {
                // Judged against a cached state: judge again against the stored one before refusing.
                current = await GetAsync(roomId, ct);
                fresh = true;
                continue;
            }

            if (ReferenceEquals(next, current))
            {
                if (!fresh)
                {
                    current = await GetAsync(roomId, ct);
                    fresh = true;
                    continue;
                }

                return (current, null);
            }

            next = next with { Seq = current!.Seq + 1, RoomId = roomId };
            var json = SyncJson.Serialize(next);
            var deadline = next.Waiting?.DeadlineServerMs.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "";
            var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(Cas, [Key(roomId), WaitsKey],
                [current.Seq, next.Seq, json, (long)KeyTtl.TotalMilliseconds, roomId, deadline]))!;
            if ((long)result[0] == 1)
            {
                Slot(roomId).Latest = next;
                _unsaved[roomId] = next;
                return (next, outbox.EnqueueAsync(next));
            }

            var winner = result[1].ToString();
            current = string.IsNullOrEmpty(winner) ? await RestoreAsync(roomId, ct) : SyncJson.Deserialize<Timeline>(winner);
            fresh = true;
        }

        throw new SyncException(ErrorCodes.Unavailable, "The room is too busy; try again.");
    }

    private async Task<Timeline> RestoreAsync(string roomId, CancellationToken ct)
    {
        if ((await rooms.GetAsync(roomId, ct)) is null)
        {
            throw new SyncException(ErrorCodes.UnknownRoom, $"Room '{roomId}' does not exist.");
        }

        // Missing: a room that never had a command, or a timeline Redis evicted under memory pressure (allkeys-lru) or
        // lost in a failover. The copy in PostgreSQL is at most one flush behind; it comes back with a seq far ahead.
        var saved = await rooms.LoadTimelineAsync(roomId, ct);
        var timeline = Timeline.Empty(roomId, NowMs);
        if (saved is not null)
        {
            var t = SyncJson.Deserialize<Timeline>(saved);
            timeline = t with { Seq = t.Seq + RestoreSeqJump, Waiting = null };
        }

        var stored = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(Init, [Key(roomId)],
            [timeline.Seq, SyncJson.Serialize(timeline), (long)KeyTtl.TotalMilliseconds]))!;
        // Only the instance whose copy went in says so: every other instance that found the key missing at the same
        // moment adopts that copy silently, so one eviction is one warning.
        if ((long)stored[0] == 1 && saved is not null)
        {
            LogRestored(logger, roomId, timeline.Seq);
        }

        return SyncJson.Deserialize<Timeline>(stored[1].ToString());
    }

    private RoomSlot Slot(string roomId)
    {
        var now = time.GetTimestamp();
        var slot = _rooms.GetOrAdd(roomId, static (_, now) => new RoomSlot(now), now);
        slot.LastUsed = now;
        return slot;
    }

    /// <summary>
    /// Drops the state of rooms idle for <paramref name="idleAfter"/> whose gate nobody holds. A command that took the
    /// slot just before it went may run beside one that makes a new slot: the script still orders the two.
    /// </summary>
    public int ForgetIdle(TimeSpan idleAfter)
    {
        var forgotten = 0;
        foreach (var (roomId, slot) in _rooms)
        {
            if (time.GetElapsedTime(slot.LastUsed) >= idleAfter && slot.Gate.CurrentCount == 1
                && _rooms.TryRemove(KeyValuePair.Create(roomId, slot)))
            {
                forgotten++;
            }
        }

        return forgotten;
    }

    /// <summary>Copies changed timelines to PostgreSQL; called periodically by <see cref="TimelinePersistence"/>.</summary>
    public async Task FlushAsync(CancellationToken ct)
    {
        foreach (var roomId in _unsaved.Keys)
        {
            if (_unsaved.TryRemove(roomId, out var timeline))
            {
                await rooms.SaveTimelineAsync(roomId, timeline.Seq, SyncJson.Serialize(timeline), ct);
            }
        }
    }

    /// <summary>Room ids whose buffering deadline has passed.</summary>
    public async Task<string[]> DueWaitsAsync()
    {
        var due = await redis.GetDatabase().SortedSetRangeByScoreAsync(WaitsKey, double.NegativeInfinity, NowMs, Exclude.None, Order.Ascending, 0, 100);
        return due.Select(v => v.ToString()).ToArray();
    }

    public Task ForgetWaitAsync(string roomId) => redis.GetDatabase().SortedSetRemoveAsync(WaitsKey, roomId);

    [LoggerMessage(LogLevel.Warning, "Timeline of room {RoomId} was missing in Redis; restored from PostgreSQL at seq {Seq}")]
    private static partial void LogRestored(ILogger logger, string roomId, long seq);
}
