namespace Sync.Api.Playback;

/// <summary>
/// The pure state transitions of a timeline. Each returns the next state (seq not yet advanced: the store does that
/// atomically) or throws <see cref="SyncException"/> for a refused command. Returning the same instance means "no change".
/// </summary>
public static class TimelineRules
{
    public const double MinSpeed = 0.25;
    public const double MaxSpeed = 4;
    public const int MaxUrlLength = 2048;

    public sealed record Context(long NowMs, int LeadMs, IReadOnlyList<Guid> WaitFor, SyncOptions Options);

    public static Timeline Play(Timeline t, Context c) => t.Playing
        ? t
        : t with { Playing = true, PositionMs = t.PositionAt(c.NowMs), AtServerMs = c.NowMs + c.LeadMs };

    public static Timeline Pause(Timeline t, Context c) => !t.Playing
        ? t
        : t with { Playing = false, PositionMs = t.PositionAt(c.NowMs), AtServerMs = c.NowMs };

    public static Timeline Seek(Timeline t, Context c, double positionMs)
    {
        if (double.IsNaN(positionMs) || positionMs < 0 || (t.DurationMs is { } d && positionMs > d))
        {
            throw new SyncException(ErrorCodes.SeekOutOfRange,
                $"Seek position {positionMs} ms is outside 0..{t.DurationMs?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "∞"} ms.", t);
        }

        if (t.MediaUrl is null)
        {
            throw new SyncException(ErrorCodes.InvalidArgument, "No media is loaded.", t);
        }

        return Wait(t with { PositionMs = positionMs, AtServerMs = c.NowMs + c.LeadMs }, c, WaitReason.Seek, c.Options.RebufferWait);
    }

    public static Timeline SetSpeed(Timeline t, Context c, double speed)
    {
        if (double.IsNaN(speed) || speed < MinSpeed || speed > MaxSpeed)
        {
            throw new SyncException(ErrorCodes.InvalidArgument, $"Speed must be between {MinSpeed} and {MaxSpeed}.", t);
        }

        return t with { Speed = speed, PositionMs = t.PositionAt(c.NowMs), AtServerMs = Math.Max(c.NowMs, t.AtServerMs) };
    }

    public static Timeline ChangeMedia(Timeline t, Context c, string url, string? title, long? durationMs)
    {
        ValidateMedia(url, title, durationMs);
        var next = t with
        {
            MediaUrl = url, MediaTitle = title, DurationMs = durationMs, Playing = true, PositionMs = 0,
            AtServerMs = c.NowMs + c.LeadMs, Speed = 1,
        };
        return Wait(next, c, WaitReason.Media, c.Options.FirstLoadWait);
    }

    public static void ValidateMedia(string? url, string? title, long? durationMs)
    {
        if (string.IsNullOrWhiteSpace(url) || url.Length > MaxUrlLength ||
            !Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) ||
            string.IsNullOrEmpty(uri.Host))
        {
            throw new SyncException(ErrorCodes.InvalidMediaUrl, "The media URL must be an absolute http or https URL of at most 2048 characters.");
        }

        if (title is { Length: > 200 })
        {
            throw new SyncException(ErrorCodes.InvalidArgument, "The title must be at most 200 characters.");
        }

        if (durationMs is <= 0)
        {
            throw new SyncException(ErrorCodes.InvalidArgument, "durationMs must be positive when given.");
        }
    }

    /// <summary>A member is ready at the waiting position; the wait ends when nobody is pending.</summary>
    public static Timeline Ready(Timeline t, Context c, Guid userId, double positionMs)
    {
        if (t.Waiting is not { } w)
        {
            return t;
        }

        if (Math.Abs(positionMs - t.PositionMs) > c.Options.ReadyToleranceMs)
        {
            throw new SyncException(ErrorCodes.PositionMismatch,
                $"Ready at {positionMs} ms but the room waits at {t.PositionMs} ms (±{c.Options.ReadyToleranceMs} ms).", t);
        }

        return Release(t, c, w, userId);
    }

    /// <summary>Drops a member from the wait (ready, left, or gone from presence).</summary>
    public static Timeline Release(Timeline t, Context c, Waiting w, Guid userId)
    {
        if (!w.Pending.Contains(userId))
        {
            return t;
        }

        var pending = w.Pending.Where(p => p != userId).ToList();
        return pending.Count == 0 ? EndWait(t, c) : t with { Waiting = w with { Pending = pending } };
    }

    /// <summary>A member stalls mid-playback: the room holds at the live position for at most the rebuffer cap.</summary>
    public static Timeline Buffering(Timeline t, Context c, Guid userId)
    {
        if (!t.Playing)
        {
            return t;
        }

        if (t.Waiting is { } w)
        {
            // Already waiting: a stall does not extend the deadline (one member cannot hold the room longer).
            return w.Pending.Contains(userId) ? t : t with { Waiting = w with { Pending = [.. w.Pending, userId] } };
        }

        return t with
        {
            PositionMs = t.PositionAt(c.NowMs), AtServerMs = c.NowMs,
            Waiting = new Waiting(WaitReason.Rebuffer, c.NowMs + (long)c.Options.RebufferWait.TotalMilliseconds, [userId]),
        };
    }

    public static Timeline EndWait(Timeline t, Context c) =>
        t.Waiting is null ? t : t with { Waiting = null, AtServerMs = c.NowMs + c.LeadMs };

    private static Timeline Wait(Timeline t, Context c, WaitReason reason, TimeSpan cap) => c.WaitFor.Count == 0
        ? t with { Waiting = null }
        : t with { Waiting = new Waiting(reason, c.NowMs + (long)cap.TotalMilliseconds, c.WaitFor) };
}
