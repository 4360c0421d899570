using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;

namespace Platform.SignalR.Redis;

/// <summary>
/// Local members of groups (or users) and the Redis subscription each one needs while it has a local member: the
/// first local member subscribes, the last one to leave unsubscribes. Changes to one name are serialized by that
/// name's gate; different names proceed in parallel.
/// </summary>
internal sealed class MembershipRegistry
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public int Count => _entries.Count;

    public bool TryGetMembers(string name, out ConcurrentDictionary<string, HubConnectionContext> members)
    {
        if (_entries.TryGetValue(name, out var entry))
        {
            members = entry.Members;
            return true;
        }

        members = null!;
        return false;
    }

    public bool IsSubscribed(string name) => _entries.TryGetValue(name, out var e) && e.Subscription is not null;

    /// <summary>Adds a member; returns false when it was already one.</summary>
    public async Task<bool> AddAsync(string name, HubConnectionContext connection, Func<string, Task<ChannelSubscription>> subscribe)
    {
        while (true)
        {
            var entry = _entries.GetOrAdd(name, static _ => new Entry());
            await entry.Gate.WaitAsync().ConfigureAwait(false);
            try
            {
                if (entry.Retired)
                {
                    continue;
                }

                if (entry.Subscription is null)
                {
                    try
                    {
                        entry.Subscription = await subscribe(name).ConfigureAwait(false);
                    }
                    catch
                    {
                        if (entry.Members.IsEmpty)
                        {
                            entry.Retired = true;
                            _entries.TryRemove(KeyValuePair.Create(name, entry));
                        }

                        throw;
                    }
                }

                return entry.Members.TryAdd(connection.ConnectionId, connection);
            }
            finally
            {
                entry.Gate.Release();
            }
        }
    }

    /// <summary>Removes a member; returns false when it was not one.</summary>
    public async Task<bool> RemoveAsync(string name, string connectionId, Func<ChannelSubscription, Task> unsubscribe)
    {
        if (!_entries.TryGetValue(name, out var entry))
        {
            return false;
        }

        await entry.Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (entry.Retired || !entry.Members.TryRemove(connectionId, out _))
            {
                return false;
            }

            if (entry.Members.IsEmpty)
            {
                entry.Retired = true;
                _entries.TryRemove(KeyValuePair.Create(name, entry));
                if (entry.Subscription is { } subscription)
                {
                    await unsubscribe(subscription).ConfigureAwait(false);
                }
            }

            return true;
        }
        finally
        {
            entry.Gate.Release();
        }
    }

    private sealed class Entry
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public ConcurrentDictionary<string, HubConnectionContext> Members { get; } = new(StringComparer.Ordinal);

        public ChannelSubscription? Subscription { get; set; }

        public bool Retired { get; set; }
    }
}
