using System.Net;
using Platform.Redis.Internal;
using Platform.Redis.Protocol;

namespace Platform.Redis;

/// <summary>The shared Redis connection of a process: thread-safe, async-first, Sentinel-aware.</summary>
public sealed partial class ConnectionMultiplexer : IConnectionMultiplexer
{
    private static readonly CommandName Role = new("ROLE");
    private readonly Bridge _interactive;
    private readonly Bridge _subscription;
    private readonly RedisDatabase _defaultDatabase;
    private SentinelWatcher? _sentinel;
    private volatile DnsEndPoint? _master;
    private int _disposed;

    private ConnectionMultiplexer(ConfigurationOptions options)
    {
        Options = options;
        _interactive = new Bridge(this, ConnectionType.Interactive);
        _subscription = new Bridge(this, ConnectionType.Subscription);
        SubscriberCore = new Subscriber(this);
        _defaultDatabase = new RedisDatabase(this, options.DefaultDatabase ?? 0);
    }

    internal ConfigurationOptions Options { get; }

    internal Subscriber SubscriberCore { get; }

    internal bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    internal bool IsSentinelMode => Options.ServiceName is not null;

    internal Bridge Interactive => _interactive;

    internal Bridge Subscription => _subscription;

    public bool IsConnected => _interactive.IsConnected;

    public EndPoint? CurrentEndPoint => _master;

    /// <summary>The configuration, password masked.</summary>
    public string Configuration => Options.ToString();

    public event EventHandler<ConnectionFailedEventArgs>? ConnectionFailed;

    public event EventHandler<ConnectionFailedEventArgs>? ConnectionRestored;

    public event EventHandler<EndPointEventArgs>? MasterChanged;

    public event EventHandler? SubscriptionsRestored;

    public static Task<ConnectionMultiplexer> ConnectAsync(string configuration, TextWriter? log = null) =>
        ConnectAsync(ConfigurationOptions.Parse(configuration), log);

    public static async Task<ConnectionMultiplexer> ConnectAsync(ConfigurationOptions configuration, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = configuration.Clone();
        options.Log ??= log;
        var mux = new ConnectionMultiplexer(options);
        try
        {
            await mux.ConnectInitialAsync().ConfigureAwait(false);
            return mux;
        }
        catch
        {
            await mux.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Returns at once and connects in the background (as with abortConnect=false); commands wait for the
    /// connection up to their timeout. Used by dependency injection, where construction cannot be async.</summary>
    public static ConnectionMultiplexer Connect(ConfigurationOptions configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var mux = new ConnectionMultiplexer(configuration.Clone());
        mux.StartBackground();
        return mux;
    }

    public static ConnectionMultiplexer Connect(string configuration) => Connect(ConfigurationOptions.Parse(configuration));

    private async Task ConnectInitialAsync()
    {
        Exception? last = null;
        for (var attempt = 0; attempt <= Options.ConnectRetry; attempt++)
        {
            if (attempt > 0)
            {
                await Task.Delay(Bridge.Backoff(attempt, 1000)).ConfigureAwait(false);
            }

            try
            {
                var interactive = OpenAsync(ConnectionType.Interactive, CancellationToken.None);
                var subscription = OpenAsync(ConnectionType.Subscription, CancellationToken.None);
                try
                {
                    await Task.WhenAll(interactive, subscription).ConfigureAwait(false);
                }
                catch
                {
                    DisposeIfOpened(interactive);
                    DisposeIfOpened(subscription);
                    throw;
                }

                _interactive.Install(await interactive.ConfigureAwait(false));
                _subscription.Install(await subscription.ConfigureAwait(false));
                StartSentinelWatcher();
                return;
            }
            catch (Exception e) when (e is RedisConnectionException or RedisServerException)
            {
                last = e;
                LogLine($"connect attempt {attempt + 1} failed: {e.Message}");
            }
        }

        if (Options.AbortOnConnectFail)
        {
            throw last as RedisConnectionException ?? new RedisConnectionException(ConnectionFailureType.UnableToConnect,
                $"It was not possible to connect to the redis server(s) {Options}: {last?.Message}", last);
        }

        StartBackground();
    }

    private static void DisposeIfOpened(Task<PhysicalConnection> task)
    {
        if (task.IsCompletedSuccessfully)
        {
#pragma warning disable CA1849 // already completed
            task.Result.Dispose();
#pragma warning restore CA1849
        }
    }

    private void StartBackground()
    {
        _interactive.StartReconnect(immediate: true);
        _subscription.StartReconnect(immediate: true);
        StartSentinelWatcher();
    }

    private void StartSentinelWatcher()
    {
        if (IsSentinelMode && _sentinel is null)
        {
            _sentinel = new SentinelWatcher(this);
            _sentinel.Start();
        }
    }

    /// <summary>Opens a connection to the master (asking the Sentinels in Sentinel mode, then checking ROLE).</summary>
    internal async Task<PhysicalConnection> OpenAsync(ConnectionType type, CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (!IsSentinelMode)
        {
            Exception? last = null;
            foreach (var ep in Options.EndPoints)
            {
                try
                {
                    var c = await PhysicalConnection.ConnectAsync(ep, type, Options, isSentinel: false, ct).ConfigureAwait(false);
                    _master = ep;
                    return c;
                }
                catch (RedisConnectionException e)
                {
                    last = e;
                }
            }

            throw last!;
        }

        var master = await SentinelWatcher.ResolveMasterAsync(this, ct).ConfigureAwait(false);
        var connection = await PhysicalConnection.ConnectAsync(master, type, Options, isSentinel: false, ct).ConfigureAwait(false);
        try
        {
            var role = await connection.SendAsync(new CommandArgs(Role), Processors.Result).WaitAsync(TimeSpan.FromMilliseconds(Options.ConnectTimeout), ct)
                .ConfigureAwait(false);
            var name = role.Length > 0 ? (string?)role[0] : null;
            if (name != "master")
            {
                throw new RedisConnectionException(ConnectionFailureType.UnableToConnect,
                    $"{PhysicalConnection.Format(master)} reports role '{name}', not master; Sentinel has not finished failing over");
            }
        }
        catch
        {
            connection.Dispose();
            throw;
        }

        SetMaster(master);
        return connection;
    }

    internal void SetMaster(DnsEndPoint master)
    {
        var previous = _master;
        _master = master;
        if (previous is not null && !SameEndPoint(previous, master))
        {
            RedisTelemetry.Failovers.Add(1);
            LogLine($"master is now {PhysicalConnection.Format(master)}");
            Raise(() => MasterChanged?.Invoke(this, new EndPointEventArgs(master)));
        }
    }

    internal static bool SameEndPoint(DnsEndPoint a, DnsEndPoint b) =>
        a.Port == b.Port && string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase);

    /// <summary>Sentinel announced a new master: move both connections now, because the old master stays writable
    /// for a while and anything written there is lost.</summary>
    internal void OnSwitchMaster(DnsEndPoint newMaster)
    {
        var current = _master;
        if (current is not null && SameEndPoint(current, newMaster) && _interactive.IsConnected && _subscription.IsConnected &&
            SameEndPoint(_interactive.Connection!.EndPoint, newMaster) && SameEndPoint(_subscription.Connection!.EndPoint, newMaster))
        {
            return;
        }

        SetMaster(newMaster);
        MoveIfElsewhere(_interactive, newMaster);
        MoveIfElsewhere(_subscription, newMaster);
    }

    private static void MoveIfElsewhere(Bridge bridge, DnsEndPoint master)
    {
        var c = bridge.Connection;
        if (c is null || !SameEndPoint(c.EndPoint, master))
        {
            bridge.ForceReconnect(ConnectionFailureType.MasterChanged, $"the master moved to {PhysicalConnection.Format(master)}");
        }
    }

    private long _lastReadOnlyCheck;

    /// <summary>A READONLY reply means we are talking to a demoted master: look the master up again.</summary>
    internal void OnServerError(RedisServerException error)
    {
        if (!error.Message.StartsWith("READONLY", StringComparison.Ordinal))
        {
            return;
        }

        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastReadOnlyCheck);
        if (now - last > 500 && Interlocked.CompareExchange(ref _lastReadOnlyCheck, now, last) == last)
        {
            _interactive.ForceReconnect(ConnectionFailureType.MasterChanged, "the server is a read-only replica now");
        }
    }

    public IDatabase GetDatabase(int db = -1) => db < 0 || db == _defaultDatabase.Database ? _defaultDatabase : new RedisDatabase(this, db);

    public ISubscriber GetSubscriber() => SubscriberCore;

    internal void RaiseConnectionFailed(EndPoint ep, ConnectionType type, ConnectionFailureType failure, Exception error)
    {
        if (IsDisposed)
        {
            return;
        }

        LogLine($"{type} connection to {Describe(ep)} failed ({failure}): {error.Message}");
        Raise(() => ConnectionFailed?.Invoke(this, new ConnectionFailedEventArgs(ep, type, failure, error)));
    }

    internal void RaiseConnectionRestored(EndPoint ep, ConnectionType type)
    {
        LogLine($"{type} connection to {Describe(ep)} restored");
        Raise(() => ConnectionRestored?.Invoke(this, new ConnectionFailedEventArgs(ep, type, ConnectionFailureType.None, null)));
    }

    internal void RaiseSubscriptionsRestored() => Raise(() => SubscriptionsRestored?.Invoke(this, EventArgs.Empty));

    private void Raise(Action action) => ThreadPool.QueueUserWorkItem(static a =>
    {
        try
        {
            a();
        }
#pragma warning disable CA1031 // a throwing event handler must not take the connection down
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }, action, preferLocal: false);

    internal void LogLine(string line)
    {
        var log = Options.Log;
        if (log is null)
        {
            return;
        }

        lock (log)
        {
            log.WriteLine(line);
        }
    }

    private static string Describe(EndPoint ep) => ep is DnsEndPoint d ? PhysicalConnection.Format(d) : ep.ToString() ?? "";

    public override string ToString() => Options.ToString();

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _sentinel?.Dispose();
        _interactive.Dispose();
        _subscription.Dispose();
        SubscriberCore.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
