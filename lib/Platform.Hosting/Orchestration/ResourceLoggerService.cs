using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Platform.Hosting.Orchestration;

/// <summary>One line of a resource instance's output (stdout/stderr), or a line the orchestrator wrote about it.</summary>
public sealed record LogLine(string Resource, string Instance, long Sequence, DateTimeOffset Timestamp, string Text, bool IsError, bool IsSystem)
{
    public override string ToString() => $"[{Instance}]{(IsSystem ? " [hosting]" : string.Empty)} {Text}";
}

/// <summary>Keeps the last lines of every instance in memory, mirrors them to a file, and streams them to watchers.</summary>
public sealed class ResourceLoggerService
{
    private readonly Dictionary<string, InstanceLog> _logs = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _lock = new();
    private readonly List<Channel<LogLine>> _allWatchers = [];

    internal Action<LogLine>? Sink { get; set; }

    internal InstanceLog Register(string resource, string instance, int capacity, string? filePath)
    {
        lock (_lock)
        {
            var log = new InstanceLog(this, resource, instance, capacity, filePath);
            _logs[instance] = log;
            return log;
        }
    }

    /// <summary>The instance names of a resource (or the instance itself).</summary>
    private List<InstanceLog> Find(string name)
    {
        lock (_lock)
        {
            var matches = _logs.Values.Where(l => string.Equals(l.Resource, name, StringComparison.OrdinalIgnoreCase)
                || string.Equals(l.Instance, name, StringComparison.OrdinalIgnoreCase)).ToList();
            return matches.Count > 0 ? matches : throw new KeyNotFoundException($"There is no resource or instance named '{name}'.");
        }
    }

    /// <summary>The lines kept in memory for a resource (every instance) or one instance, in order.</summary>
    public IReadOnlyList<LogLine> GetLogs(string resourceOrInstance) =>
        [.. Find(resourceOrInstance).SelectMany(l => l.Snapshot()).OrderBy(l => l.Timestamp).ThenBy(l => l.Sequence)];

    public IReadOnlyList<LogLine> GetLastLines(string resourceOrInstance, int count)
    {
        var all = GetLogs(resourceOrInstance);
        return [.. all.Skip(Math.Max(0, all.Count - count))];
    }

    /// <summary>The kept lines, then every new line until cancelled.</summary>
    public async IAsyncEnumerable<LogLine> WatchAsync(string resourceOrInstance, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var logs = Find(resourceOrInstance);
        var channel = Channel.CreateBounded<LogLine>(new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest });
        var backlog = new List<LogLine>();
        foreach (var log in logs)
        {
            backlog.AddRange(log.Subscribe(channel));
        }

        try
        {
            var seen = new HashSet<(string, long)>();
            foreach (var line in backlog.OrderBy(l => l.Timestamp).ThenBy(l => l.Sequence))
            {
                seen.Add((line.Instance, line.Sequence));
                yield return line;
            }

            await foreach (var line in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (!seen.Contains((line.Instance, line.Sequence)))
                {
                    yield return line;
                }
            }
        }
        finally
        {
            foreach (var log in logs)
            {
                log.Unsubscribe(channel);
            }
        }
    }

    /// <summary>Every new line of every resource, until cancelled.</summary>
    public async IAsyncEnumerable<LogLine> WatchAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var channel = Channel.CreateBounded<LogLine>(new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest });
        lock (_lock)
        {
            _allWatchers.Add(channel);
        }

        try
        {
            await foreach (var line in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return line;
            }
        }
        finally
        {
            lock (_lock)
            {
                _allWatchers.Remove(channel);
            }
        }
    }

    internal void Publish(LogLine line)
    {
        Channel<LogLine>[] watchers;
        lock (_lock)
        {
            watchers = [.. _allWatchers];
        }

        foreach (var w in watchers)
        {
            w.Writer.TryWrite(line);
        }

        try
        {
            Sink?.Invoke(line);
        }
#pragma warning disable CA1031 // a failing sink (e.g. a finished test's output) must not break output capture
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    internal sealed class InstanceLog : IDisposable
    {
        private readonly ResourceLoggerService _owner;
        private readonly LogLine?[] _ring;
        private readonly List<Channel<LogLine>> _watchers = [];
        private readonly Lock _lock = new();
        private readonly StreamWriter? _file;
        private long _next;

        public InstanceLog(ResourceLoggerService owner, string resource, string instance, int capacity, string? filePath)
        {
            _owner = owner;
            Resource = resource;
            Instance = instance;
            _ring = new LogLine?[Math.Max(16, capacity)];
            if (filePath is not null)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(filePath)!);
                _file = new StreamWriter(new FileStream(filePath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
            }
        }

        public string Resource { get; }

        public string Instance { get; }

        public void Write(string text, bool isError, bool isSystem = false)
        {
            LogLine line;
            Channel<LogLine>[] watchers;
            lock (_lock)
            {
                line = new LogLine(Resource, Instance, _next, DateTimeOffset.UtcNow, text, isError, isSystem);
                _ring[_next % _ring.Length] = line;
                _next++;
                watchers = [.. _watchers];
                try
                {
                    _file?.WriteLine($"{line.Timestamp:O} {(isSystem ? "hosting" : isError ? "stderr" : "stdout")} {text}");
                }
                catch (ObjectDisposedException)
                {
                }
                catch (IOException)
                {
                }
            }

            foreach (var w in watchers)
            {
                w.Writer.TryWrite(line);
            }

            _owner.Publish(line);
        }

        public List<LogLine> Snapshot()
        {
            lock (_lock)
            {
                var start = Math.Max(0, _next - _ring.Length);
                var result = new List<LogLine>((int)(_next - start));
                for (var i = start; i < _next; i++)
                {
                    result.Add(_ring[i % _ring.Length]!);
                }

                return result;
            }
        }

        public List<LogLine> Subscribe(Channel<LogLine> channel)
        {
            lock (_lock)
            {
                _watchers.Add(channel);
                return Snapshot();
            }
        }

        public void Unsubscribe(Channel<LogLine> channel)
        {
            lock (_lock)
            {
                _watchers.Remove(channel);
            }
        }

        public void Dispose()
        {
            lock (_lock)
            {
                _file?.Dispose();
            }
        }
    }
}
