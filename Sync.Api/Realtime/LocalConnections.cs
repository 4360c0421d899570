using System.Collections.Concurrent;

namespace Sync.Api.Realtime;

/// <summary>The rooms of this instance's own connections: what to resynchronise after a backplane outage.</summary>
public sealed class LocalConnections
{
    private readonly ConcurrentDictionary<string, string> _rooms = new(StringComparer.Ordinal);

    public void Set(string connectionId, string roomId) => _rooms[connectionId] = roomId;

    public void Remove(string connectionId) => _rooms.TryRemove(connectionId, out _);

    public int Count => _rooms.Count;

    public IEnumerable<IGrouping<string, string>> ByRoom() =>
        _rooms.ToArray().GroupBy(p => p.Value, p => p.Key, StringComparer.Ordinal);
}
