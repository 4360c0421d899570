using Npgsql;
using StackExchange.Redis;

namespace Sync.Api;

/// <summary>Machine-readable error codes shared by the hub (<c>HubError.code</c>) and HTTP problem details (<c>code</c>).</summary>
public static class ErrorCodes
{
    public const string Unauthorized = "unauthorized";
    public const string UnknownRoom = "unknown_room";
    public const string NotJoined = "not_joined";
    public const string WrongPassword = "wrong_password";
    public const string Forbidden = "forbidden";
    public const string RateLimited = "rate_limited";
    public const string Stale = "stale";
    public const string InvalidArgument = "invalid_argument";
    public const string ChatTooLong = "chat_too_long";
    public const string InvalidMediaUrl = "invalid_media_url";
    public const string SeekOutOfRange = "seek_out_of_range";
    public const string NotWaiting = "not_waiting";
    public const string PositionMismatch = "position_mismatch";
    public const string VoiceFull = "voice_full";
    public const string NotInVoice = "not_in_voice";
    public const string UnknownPeer = "unknown_peer";
    public const string Unavailable = "unavailable";
}

/// <summary>A refused request: becomes a typed hub error or a problem details response; nothing was changed.</summary>
public sealed class SyncException(string code, string message, object? value = null, long? retryAfterMs = null)
    : Exception(message)
{
    public string Code { get; } = code;

    /// <summary>Data that travels with the error, e.g. the current timeline of a stale command.</summary>
    public object? Value { get; } = value;

    public long? RetryAfterMs { get; } = retryAfterMs;
}

/// <summary>A failure of Redis or PostgreSQL, not of the request: answered as "unavailable, try again shortly".</summary>
public static class InfrastructureFailure
{
    public static bool Is(Exception ex) => ex is RedisException or NpgsqlException or TimeoutException;
}
