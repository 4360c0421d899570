using System.Collections.Concurrent;
using Bets.Api.Data;
using Microsoft.Data.Sqlite;

namespace Bets.Api.Bets;

/// <summary>An Idempotency-Key and the fingerprint of the request that came with it.</summary>
public sealed record IdempotencyRecord(string Key, string Fingerprint);

/// <summary>An HTTP response as sent, kept to be sent again byte for byte.</summary>
public sealed record StoredResponse(int Status, string ContentType, string Body);

/// <summary>What was stored for a key: the fingerprint of its request and the response sent to it.</summary>
public sealed record StoredExchange(string Fingerprint, StoredResponse Response);

/// <summary>Requests of this process still being processed, per (wallet, Idempotency-Key): a duplicate gets 409.</summary>
public sealed class InFlightKeys
{
    private readonly ConcurrentDictionary<(string, string), byte> _keys = new();
    public bool TryEnter(string wallet, string key) => _keys.TryAdd((wallet, key), 0);
    public void Exit(string wallet, string key) => _keys.TryRemove((wallet, key), out _);
}

/// <summary>
/// The responses POST /bets sent, per (wallet, Idempotency-Key), in the <c>idempotency</c> table. The endpoint saves
/// one in the same write transaction as the placement it answers, so a committed bet always has its response and a
/// retry is answered from it instead of placing again.
/// </summary>
public sealed class IdempotencyStore(BetsDatabase db, TimeProvider time)
{
    private const string Select = "SELECT fingerprint, status_code, content_type, body FROM idempotency WHERE wallet = @wallet AND key = @k";

    /// <summary>Read without the write lock: the cheap early answer to a retry (the endpoint looks again under the lock).</summary>
    public Task<StoredExchange?> FindAsync(string wallet, string key, CancellationToken ct = default) =>
        db.ReadAsync(Select, command => Read(command, wallet, key), ct);

    /// <summary>Under the write lock, inside a <see cref="BetsDatabase.WriteAsync{T}"/> unit.</summary>
    public StoredExchange? FindUnderLock(SqliteTransaction tx, string wallet, string key) => Read(db.Statement(tx, Select), wallet, key);

    /// <summary>Saves the response sent for this key, inside the same unit as what it answers; returns it.</summary>
    public StoredExchange Save(SqliteTransaction tx, string wallet, IdempotencyRecord record, StoredResponse response)
    {
        db.Statement(tx, "INSERT INTO idempotency (wallet, key, fingerprint, status_code, content_type, body, created_at) VALUES (@wallet, @k, @f, @s, @ct, @b, @now)")
            .With("@wallet", wallet).With("@k", record.Key).With("@f", record.Fingerprint).With("@s", response.Status)
            .With("@ct", response.ContentType).With("@b", response.Body).With("@now", time.GetUtcNow().ToUnixTimeMilliseconds()).ExecuteNonQuery();
        return new StoredExchange(record.Fingerprint, response);
    }

    private static StoredExchange? Read(SqliteCommand command, string wallet, string key)
    {
        using var r = command.With("@wallet", wallet).With("@k", key).ExecuteReader();
        return r.Read() ? new StoredExchange(r.GetString(0), new StoredResponse(r.GetInt32(1), r.GetString(2), r.GetString(3))) : null;
    }
}
