using System.Diagnostics;
using Platform.Redis.Protocol;

namespace Platform.Redis.Internal;

/// <summary>
/// The current connection of one kind (interactive or subscriber) and the loop that replaces it when it fails.
/// Commands issued while there is no connection wait for the next one, up to their own timeout.
/// </summary>
internal sealed class Bridge(ConnectionMultiplexer multiplexer, ConnectionType type)
{
    private readonly Lock _sync = new();
    private volatile PhysicalConnection? _connection;
    private TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _reconnecting;
    private bool _everConnected;

    public ConnectionType Type { get; } = type;

    public PhysicalConnection? Connection => _connection;

    public bool IsConnected => _connection is { IsFailed: false };

    public void Install(PhysicalConnection connection)
    {
        connection.Failed += OnFailed;
        if (Type == ConnectionType.Subscription)
        {
            connection.PushHandler = multiplexer.SubscriberCore.OnPush;
        }

        bool restored;
        lock (_sync)
        {
            _connection = connection;
            restored = _everConnected;
            _everConnected = true;
            _ready.TrySetResult();
        }

        if (connection.IsFailed)
        {
            OnFailed(connection, ConnectionFailureType.SocketClosed, new RedisConnectionException(ConnectionFailureType.SocketClosed, "closed"));
            return;
        }

        if (restored)
        {
            RedisTelemetry.Reconnects.Add(1);
            multiplexer.RaiseConnectionRestored(connection.EndPoint, Type);
        }
    }

    /// <summary>Drops the current connection (e.g. because the master moved) and reconnects at once.</summary>
    public void ForceReconnect(ConnectionFailureType reason, string why)
    {
        var c = _connection;
        if (c is null)
        {
            StartReconnect(immediate: true);
            return;
        }

        c.Fail(reason, new RedisConnectionException(reason, why));
    }

    private void OnFailed(PhysicalConnection connection, ConnectionFailureType failure, Exception error)
    {
        lock (_sync)
        {
            if (!ReferenceEquals(connection, _connection))
            {
                return;
            }

            _connection = null;
            if (_ready.Task.IsCompleted)
            {
                _ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        multiplexer.RaiseConnectionFailed(connection.EndPoint, Type, failure, error);
        StartReconnect(immediate: failure == ConnectionFailureType.MasterChanged);
    }

    public void StartReconnect(bool immediate)
    {
        if (multiplexer.IsDisposed || Interlocked.CompareExchange(ref _reconnecting, 1, 0) != 0)
        {
            return;
        }

        _ = Task.Run(() => ReconnectLoopAsync(immediate));
    }

    private async Task ReconnectLoopAsync(bool immediate)
    {
        var attempt = immediate ? 0 : 1;
        while (!multiplexer.IsDisposed)
        {
            if (attempt > 0)
            {
                await Task.Delay(Backoff(attempt, multiplexer.Options.ReconnectMaxDelay)).ConfigureAwait(false);
            }

            attempt++;
            PhysicalConnection connection;
            try
            {
                connection = await multiplexer.OpenAsync(Type, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is RedisConnectionException or RedisServerException or OperationCanceledException or ObjectDisposedException)
            {
                multiplexer.LogLine($"reconnect ({Type}) attempt {attempt} failed: {e.Message}");
                continue;
            }

            if (multiplexer.IsDisposed)
            {
                connection.Dispose();
                break;
            }

            Volatile.Write(ref _reconnecting, 0);
            Install(connection);
            if (Type == ConnectionType.Subscription && !connection.IsFailed)
            {
                await multiplexer.SubscriberCore.ResubscribeAsync(connection).ConfigureAwait(false);
            }

            return;
        }

        Volatile.Write(ref _reconnecting, 0);
    }

    /// <summary>Exponential backoff from 50 ms with full jitter in its upper half, so many clients do not stampede.</summary>
    internal static TimeSpan Backoff(int attempt, int maxMs)
    {
        var ceiling = Math.Min(maxMs, 50.0 * Math.Pow(2, Math.Min(attempt, 16)));
        return TimeSpan.FromMilliseconds(ceiling / 2 + (Random.Shared.NextDouble() * ceiling / 2));
    }

    public Task<T> ExecuteAsync<T>(in CommandArgs args, ResultProcessor<T> processor, int db, CommandFlags flags)
    {
        var message = new PendingMessage<T>(args.Name.Text, processor, multiplexer.Options.EffectiveAsyncTimeout)
        {
            Unobserved = (flags & CommandFlags.FireAndForget) != 0,
        };
        if (multiplexer.IsSentinelMode)
        {
            message.OnServerError = multiplexer.OnServerError;
        }

        var connection = _connection;
        if (connection is not null && connection.TryWrite(args, message, db))
        {
            return (flags & CommandFlags.FireAndForget) != 0 ? Task.FromResult(default(T)!) : message.Task;
        }

        if (multiplexer.IsDisposed)
        {
            return Task.FromException<T>(new ObjectDisposedException(nameof(ConnectionMultiplexer)));
        }

        if ((flags & CommandFlags.FailFast) != 0)
        {
            return Task.FromException<T>(new RedisConnectionException(ConnectionFailureType.UnableToConnect,
                $"No connection is available to service {args.Name.Text} (FailFast)"));
        }

        return ExecuteWhenConnectedAsync(args, message, db);
    }

    private async Task<T> ExecuteWhenConnectedAsync<T>(CommandArgs args, PendingMessage<T> message, int db)
    {
        while (true)
        {
            var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), message.Deadline);
            if (remaining <= TimeSpan.Zero || multiplexer.IsDisposed)
            {
                message.Fail(multiplexer.IsDisposed
                    ? new ObjectDisposedException(nameof(ConnectionMultiplexer))
                    : new RedisTimeoutException($"Timeout waiting for a connection to send {args.Name.Text} " +
                        $"after {multiplexer.Options.EffectiveAsyncTimeout} ms ({Type} connection unavailable)"));
                return await message.Task.ConfigureAwait(false);
            }

            Task ready;
            lock (_sync)
            {
                ready = _ready.Task;
            }

            try
            {
                await ready.WaitAsync(remaining).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                continue;
            }

            var connection = _connection;
            if (connection is not null && connection.TryWrite(args, message, db))
            {
                return await message.Task.ConfigureAwait(false);
            }

            await Task.Yield();
        }
    }

    /// <summary>Writes several commands together (batches, transactions), waiting for a connection if needed.</summary>
    public async Task WriteManyAsync((CommandArgs Args, IPendingMessage Message)[] commands, int db, long deadline)
    {
        while (true)
        {
            var connection = _connection;
            if (connection is not null && connection.TryWriteMany(commands, db))
            {
                return;
            }

            var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
            if (remaining <= TimeSpan.Zero || multiplexer.IsDisposed)
            {
                var error = new RedisTimeoutException("Timeout waiting for a connection to send a batch");
                foreach (var (_, m) in commands)
                {
                    m.Fail(error);
                }

                return;
            }

            Task ready;
            lock (_sync)
            {
                ready = _ready.Task;
            }

            try
            {
                await ready.WaitAsync(remaining).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
            }
        }
    }

    public void Dispose()
    {
        lock (_sync)
        {
            _ready.TrySetException(new ObjectDisposedException(nameof(ConnectionMultiplexer)));
        }

        _connection?.Dispose();
    }
}
