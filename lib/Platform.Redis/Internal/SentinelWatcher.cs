using System.Globalization;
using System.Net;
using Platform.Redis.Protocol;

namespace Platform.Redis.Internal;

/// <summary>Keeps a subscription to <c>+switch-master</c> on one of the Sentinels (moving to another when it fails)
/// and answers "where is the master" by asking the Sentinels in turn.</summary>
internal sealed class SentinelWatcher(ConnectionMultiplexer multiplexer) : IDisposable
{
    private static readonly CommandName Sentinel = new("SENTINEL");
    private static readonly CommandName Subscribe = new("SUBSCRIBE");
    private readonly CancellationTokenSource _stop = new();
    private PhysicalConnection? _connection;

    public void Start() => _ = Task.Run(LoopAsync);

    public static async Task<DnsEndPoint> ResolveMasterAsync(ConnectionMultiplexer multiplexer, CancellationToken ct)
    {
        var options = multiplexer.Options;
        var errors = new List<string>();
        foreach (var sentinel in options.EndPoints)
        {
            try
            {
                using var connection = await PhysicalConnection.ConnectAsync(sentinel, ConnectionType.Interactive, options, isSentinel: true, ct)
                    .ConfigureAwait(false);
                var reply = await connection.SendAsync(new CommandArgs(Sentinel, "get-master-addr-by-name", options.ServiceName!), Processors.Values)
                    .WaitAsync(TimeSpan.FromMilliseconds(options.ConnectTimeout), ct).ConfigureAwait(false);
                if (reply.Length == 2 && int.TryParse(reply[1].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var port))
                {
                    return new DnsEndPoint(reply[0].ToString(), port);
                }

                errors.Add($"{PhysicalConnection.Format(sentinel)} does not know '{options.ServiceName}'");
            }
            catch (Exception e) when (e is RedisConnectionException or RedisServerException or TimeoutException)
            {
                errors.Add($"{PhysicalConnection.Format(sentinel)}: {e.Message}");
            }
        }

        throw new RedisConnectionException(ConnectionFailureType.UnableToConnect,
            $"no Sentinel gave the master of '{options.ServiceName}' ({string.Join("; ", errors)})");
    }

    private async Task LoopAsync()
    {
        var options = multiplexer.Options;
        var index = 0;
        var attempt = 0;
        while (!_stop.IsCancellationRequested)
        {
            var sentinel = options.EndPoints[index % options.EndPoints.Count];
            try
            {
                var connection = await PhysicalConnection.ConnectAsync(sentinel, ConnectionType.Subscription, options, isSentinel: true, _stop.Token)
                    .ConfigureAwait(false);
                var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                connection.Failed += (_, _, _) => closed.TrySetResult();
                connection.PushHandler = OnPush;
                _connection = connection;
                if (_stop.IsCancellationRequested)
                {
                    connection.Dispose();
                    break;
                }

                await connection.SendAsync(new CommandArgs(Subscribe, "+switch-master"), Processors.Result)
                    .WaitAsync(TimeSpan.FromMilliseconds(options.ConnectTimeout), _stop.Token).ConfigureAwait(false);
                attempt = 0;

                // An announcement may have been missed while we were not subscribed.
                var master = await ResolveMasterAsync(multiplexer, _stop.Token).ConfigureAwait(false);
                if (multiplexer.CurrentEndPoint is DnsEndPoint current && !ConnectionMultiplexer.SameEndPoint(current, master))
                {
                    multiplexer.OnSwitchMaster(master);
                }

                await closed.Task.WaitAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is RedisConnectionException or RedisServerException or TimeoutException)
            {
                multiplexer.LogLine($"Sentinel {PhysicalConnection.Format(sentinel)}: {e.Message}");
            }

            _connection?.Dispose();
            index++;
            attempt++;
            try
            {
                await Task.Delay(Bridge.Backoff(attempt, 2000), _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private void OnPush(string kind, RedisValue subscription, RedisValue channel, RedisValue payload)
    {
        if (channel.ToString() != "+switch-master")
        {
            return;
        }

        // "<name> <old-ip> <old-port> <new-ip> <new-port>"
        var parts = payload.ToString().Split(' ');
        if (parts.Length == 5 && parts[0] == multiplexer.Options.ServiceName &&
            int.TryParse(parts[4], NumberStyles.None, CultureInfo.InvariantCulture, out var port))
        {
            multiplexer.LogLine($"Sentinel announced +switch-master to {parts[3]}:{port}");
            multiplexer.OnSwitchMaster(new DnsEndPoint(parts[3], port));
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _connection?.Dispose();
        _stop.Dispose();
    }
}
