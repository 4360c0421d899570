namespace Sync.Api.Playback;

public enum WaitReason
{
    Media,
    Seek,
    Rebuffer,
}

public sealed record Waiting(WaitReason Reason, long DeadlineServerMs, IReadOnlyList<Guid> Pending);

/// <summary>
/// The authoritative playback state of a room. Position at server time t is <see cref="PositionAt"/>: frozen while
/// paused or waiting, otherwise advancing at <see cref="Speed"/> from <see cref="AtServerMs"/> (which may lie in the
/// future: play is scheduled a lead time ahead so every member starts together).
/// </summary>
public sealed record Timeline(
    string RoomId,
    long Seq,
    string? MediaUrl,
    string? MediaTitle,
    long? DurationMs,
    bool Playing,
    double PositionMs,
    long AtServerMs,
    double Speed,
    Waiting? Waiting)
{
    public static Timeline Empty(string roomId, long nowMs) => new(roomId, 0, null, null, null, false, 0, nowMs, 1, null);

    public bool Advancing => Playing && Waiting is null;

    public double PositionAt(long serverMs)
    {
        if (!Advancing)
        {
            return PositionMs;
        }

        var position = PositionMs + (Math.Max(0, serverMs - AtServerMs) * Speed);
        return DurationMs is { } d ? Math.Min(position, d) : position;
    }
}
