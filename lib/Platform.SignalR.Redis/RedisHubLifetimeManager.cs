using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Redis;

namespace Platform.SignalR.Redis;

/// <summary>
/// A <see cref="HubLifetimeManager{THub}"/> that makes every operation work across all servers sharing a Redis
/// (pub/sub, at-most-once). Local connections are written to directly; Redis carries only what other servers need.
/// </summary>
public sealed partial class RedisHubLifetimeManager<THub> : HubLifetimeManager<THub>, IAsyncDisposable
    where THub : Hub
{
    private static readonly string HubName = typeof(THub).FullName ?? typeof(THub).Name;

    private readonly ILogger _logger;
    private readonly RedisBackplaneOptions _options;
    private readonly IHubProtocolResolver _protocolResolver;
    private readonly IHubProtocol[] _protocols;
    private readonly string[] _protocolNames;
    private readonly BackplaneConnection _connection;
    private readonly BackplaneEvents _events;
    private readonly TimeProvider _time;
    private readonly ChannelNames _channels;
    private readonly Guid _serverId = Guid.NewGuid();
    private readonly string _invocationIdPrefix;
    private readonly ConcurrentDictionary<string, ConnectionState> _connections = new(StringComparer.Ordinal);
    private readonly MembershipRegistry _groups = new();
    private readonly MembershipRegistry _users = new();
    private readonly Lock _startLock = new();
    private readonly ChannelSubscription _allSubscription;
    private readonly ChannelSubscription _serverSubscription;
    private Task<ISubscriber>? _start;
    private IConnectionMultiplexer? _multiplexer;
    private ISubscriber? _subscriber;
    private int _outage;
    private long _outageStartTicks;
    private long _dropped;
    private int _disposed;

    public RedisHubLifetimeManager(
        ILogger<RedisHubLifetimeManager<THub>> logger,
        IOptions<RedisBackplaneOptions> options,
        IHubProtocolResolver hubProtocolResolver,
        IServiceProvider services)
    {
        _logger = logger;
        _options = options.Value;
        _protocolResolver = hubProtocolResolver;
        _protocols = [.. hubProtocolResolver.AllProtocols];
        _protocolNames = [.. _protocols.Select(p => p.Name)];
        _connection = services.GetRequiredService<BackplaneConnection>();
        _events = services.GetRequiredService<BackplaneEvents>();
        _time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        _channels = new ChannelNames(_options.ChannelPrefix, HubName);
        _invocationIdPrefix = _serverId.ToString("N")[..12] + ".";
        _allSubscription = new ChannelSubscription(_channels.All, OnAllMessageAsync);
        _serverSubscription = new ChannelSubscription(_channels.Server(_serverId), OnServerMessageAsync);
    }

    /// <summary>Identifies this server on the backplane (the origin of everything it publishes).</summary>
    public Guid ServerId => _serverId;

    public override async Task OnConnectedAsync(HubConnectionContext connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var subscriber = await EnsureStartedAsync().ConfigureAwait(false);
        var state = new ConnectionState(connection);
        _connections[connection.ConnectionId] = state;
        try
        {
            var subscription = new ChannelSubscription(
                _channels.Connection(connection.ConnectionId), data => OnConnectionMessageAsync(state, data));
            await subscriber.SubscribeAsync(subscription.Channel, subscription.Handler).ConfigureAwait(false);
            state.Subscription = subscription;
            if (connection.UserIdentifier is { } user)
            {
                await _users.AddAsync(user, connection, SubscribeUserAsync).ConfigureAwait(false);
            }
        }
        catch
        {
            await OnDisconnectedAsync(connection).ConfigureAwait(false);
            throw;
        }
    }

    public override async Task OnDisconnectedAsync(HubConnectionContext connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var id = connection.ConnectionId;
        if (!_connections.TryRemove(id, out var state))
        {
            return;
        }

        var cleanup = new List<Task>();
        FailInvocationsOf(id, cleanup);
        foreach (var group in state.TakeGroups())
        {
            cleanup.Add(_groups.RemoveAsync(group, id, UnsubscribeAsync));
        }

        if (connection.UserIdentifier is { } user)
        {
            cleanup.Add(_users.RemoveAsync(user, id, UnsubscribeAsync));
        }

        if (state.Subscription is { } subscription)
        {
            cleanup.Add(UnsubscribeAsync(subscription));
        }

        await Task.WhenAll(cleanup).ConfigureAwait(false);
    }

    private Task<ISubscriber> EnsureStartedAsync()
    {
        var start = Volatile.Read(ref _start);
        if (start is { IsFaulted: false, IsCanceled: false })
        {
            return start;
        }

        lock (_startLock)
        {
            ObjectDisposedException.ThrowIf(_disposed != 0, this);
            if (_start is null or { IsFaulted: true } or { IsCanceled: true })
            {
                _start = StartAsync();
            }

            return _start;
        }
    }

    private async Task<ISubscriber> StartAsync()
    {
        var multiplexer = await _connection.GetAsync().ConfigureAwait(false);
        var subscriber = multiplexer.GetSubscriber();
        if (Interlocked.CompareExchange(ref _multiplexer, multiplexer, null) is null)
        {
            multiplexer.ConnectionFailed += OnConnectionFailed;
            multiplexer.ConnectionRestored += OnConnectionRestored;
            multiplexer.SubscriptionsRestored += OnSubscriptionsRestored;
        }

        try
        {
            await subscriber.SubscribeAsync(_serverSubscription.Channel, _serverSubscription.Handler).ConfigureAwait(false);
            await subscriber.SubscribeAsync(_allSubscription.Channel, _allSubscription.Handler).ConfigureAwait(false);
        }
        catch
        {
            // A retry subscribes again: leave no handler behind that would deliver twice.
            await Task.WhenAll(UnsubscribeAsync(_serverSubscription), UnsubscribeAsync(_allSubscription)).ConfigureAwait(false);
            throw;
        }

        Volatile.Write(ref _subscriber, subscriber);
        Log.Started(_logger, HubName, _serverId);
        return subscriber;
    }

    private async Task<ChannelSubscription> SubscribeGroupAsync(string group)
    {
        var subscriber = await EnsureStartedAsync().ConfigureAwait(false);
        var subscription = new ChannelSubscription(_channels.Group(group), data => OnGroupMessageAsync(group, data));
        await subscriber.SubscribeAsync(subscription.Channel, subscription.Handler).ConfigureAwait(false);
        return subscription;
    }

    private async Task<ChannelSubscription> SubscribeUserAsync(string user)
    {
        var subscriber = await EnsureStartedAsync().ConfigureAwait(false);
        var subscription = new ChannelSubscription(_channels.User(user), data => OnUserMessageAsync(user, data));
        await subscriber.SubscribeAsync(subscription.Channel, subscription.Handler).ConfigureAwait(false);
        return subscription;
    }

    private async Task UnsubscribeAsync(ChannelSubscription subscription)
    {
        if (Volatile.Read(ref _subscriber) is not { } subscriber)
        {
            return;
        }

        try
        {
            await subscriber.UnsubscribeAsync(subscription.Channel, subscription.Handler).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Unsubscribing is best effort: during an outage the server dropped our subscriptions anyway.
            Log.UnsubscribeFailed(_logger, subscription.Channel.ToString(), ex);
        }
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e) => EnterOutage(e.Exception);

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (Volatile.Read(ref _outage) != 0)
        {
            Log.Reconnected(_logger, HubName);
        }
    }

    private void OnSubscriptionsRestored(object? sender, EventArgs e)
    {
        var wasOut = Interlocked.Exchange(ref _outage, 0) != 0;
        var dropped = Interlocked.Exchange(ref _dropped, 0);
        var now = _time.GetUtcNow();
        DateTimeOffset? started = wasOut ? new DateTimeOffset(Interlocked.Read(ref _outageStartTicks), TimeSpan.Zero) : null;
        Log.Resubscribed(_logger, HubName, started is { } s ? (now - s).TotalSeconds : 0, dropped);
        try
        {
            _events.RaiseResynchronize(this, new BackplaneResynchronizeEventArgs(typeof(THub), started, now, dropped));
        }
        catch (Exception ex)
        {
            Log.EventHandlerFailed(_logger, ex);
        }
    }

    private void EnterOutage(Exception? exception)
    {
        if (Interlocked.Exchange(ref _outage, 1) != 0)
        {
            return;
        }

        var now = _time.GetUtcNow();
        Interlocked.Exchange(ref _outageStartTicks, now.UtcTicks);
        Log.OutageStarted(_logger, HubName, exception);
        try
        {
            _events.RaiseDisconnected(this, new BackplaneDisconnectedEventArgs(typeof(THub), now));
        }
        catch (Exception ex)
        {
            Log.EventHandlerFailed(_logger, ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_multiplexer is { } multiplexer)
        {
            multiplexer.ConnectionFailed -= OnConnectionFailed;
            multiplexer.ConnectionRestored -= OnConnectionRestored;
            multiplexer.SubscriptionsRestored -= OnSubscriptionsRestored;
        }

        foreach (var pending in _pending)
        {
            if (_pending.TryRemove(pending))
            {
                pending.Value.Fail(new IOException("The hub lifetime manager was disposed."));
            }
        }

        var unsubscribe = new List<Task> { UnsubscribeAsync(_allSubscription), UnsubscribeAsync(_serverSubscription) };
        foreach (var state in _connections.Values)
        {
            if (state.Subscription is { } s)
            {
                unsubscribe.Add(UnsubscribeAsync(s));
            }
        }

        await Task.WhenAll(unsubscribe).ConfigureAwait(false);
    }

    /// <summary>What this server knows about one of its connections.</summary>
    private sealed class ConnectionState(HubConnectionContext context)
    {
        private readonly HashSet<string> _groups = new(StringComparer.Ordinal);

        public HubConnectionContext Context { get; } = context;

        public ChannelSubscription? Subscription { get; set; }

        public bool TryAddGroup(string group)
        {
            lock (_groups)
            {
                return _groups.Add(group);
            }
        }

        public bool TryRemoveGroup(string group)
        {
            lock (_groups)
            {
                return _groups.Remove(group);
            }
        }

        public string[] TakeGroups()
        {
            lock (_groups)
            {
                var groups = _groups.ToArray();
                _groups.Clear();
                return groups;
            }
        }
    }
}
