using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace Platform.FaultScenario;

/// <summary>
/// A viewer in a SyncWatch room over the official SignalR client, following the client rules of Sync.Api's README:
/// apply a timeline only when its seq is higher than the one held, resynchronise (GetSnapshot) when asked, Resume after
/// a reconnect, report ready when the room waits for it, heartbeat every 5 s. It remembers the state it saw for each
/// seq, so that two states under one seq (a timeline that forked) are caught.
/// </summary>
public sealed class WatchPartyClient : IAsyncDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(10);
    private readonly Lock _gate = new();
    private readonly Dictionary<long, string> _seen = [];
    private readonly List<string> _forks = [];
    private readonly Func<Uri> _server;
    private readonly string _token;
    private readonly CancellationTokenSource _stopping = new();
    private HubConnection _connection;
    private Task? _heartbeats;

    private WatchPartyClient(string name, Func<Uri> server, string token, string userId)
    {
        Name = name;
        _server = server;
        _token = token;
        UserId = userId;
        _connection = Build();
    }

    public string Name { get; }

    public string UserId { get; }

    /// <summary>The highest seq applied and its state.</summary>
    public (long Seq, string State) Timeline
    {
        get
        {
            lock (_gate)
            {
                return (LastSeq, _seen.GetValueOrDefault(LastSeq, ""));
            }
        }
    }

    /// <summary>Each seq this client was given two different states for.</summary>
    public IReadOnlyList<string> Forks
    {
        get
        {
            lock (_gate)
            {
                return [.. _forks];
            }
        }
    }

    public bool Connected => _connection.State == HubConnectionState.Connected;

    private long LastSeq { get; set; } = -1;

    /// <summary>Connects to <paramref name="server"/> (re-read on every reconnection) and joins <paramref name="roomId"/>.</summary>
    public static async Task<WatchPartyClient> JoinAsync(string name, Func<Uri> server, string token, string userId, string roomId, CancellationToken cancellationToken)
    {
        var client = new WatchPartyClient(name, server, token, userId);
        await client._connection.StartAsync(cancellationToken).ConfigureAwait(false);
        client.Apply(await client.InvokeUntilAnsweredAsync("JoinRoom", [roomId, null], cancellationToken).ConfigureAwait(false), snapshot: true);
        client._heartbeats = client.HeartbeatAsync(client._stopping.Token);
        return client;
    }

    /// <summary>Play, Pause or Seek on top of whatever is current; the outcome is the server's answer (ok or its error code).</summary>
    public async Task<(bool Ok, string? Error, long SentAt, long AnsweredAt)> CommandAsync(string method, object?[] args, CancellationToken cancellationToken)
    {
        var sent = Stopwatch.GetTimestamp();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(CommandTimeout);
            var result = await _connection.InvokeCoreAsync<JsonElement>(method, args, timeout.Token).ConfigureAwait(false);
            var ok = result.GetProperty("ok").GetBoolean();
            if (ok)
            {
                Apply(result.GetProperty("value"), snapshot: false);
            }

            return (ok, ok ? null : result.GetProperty("error").GetProperty("code").GetString(), sent, Stopwatch.GetTimestamp());
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // The connection went (a replica killed, a reset on the way): no answer, which a viewer retries later.
            return (false, "no answer: " + ex.GetType().Name, sent, Stopwatch.GetTimestamp());
        }
    }

    /// <summary>Asks the server for the room's current timeline (on this client's replica).</summary>
    public async Task<(long Seq, string State)> ServerTimelineAsync(CancellationToken cancellationToken)
    {
        var snapshot = await InvokeUntilAnsweredAsync("GetSnapshot", [], cancellationToken).ConfigureAwait(false);
        var timeline = snapshot.GetProperty("timeline");
        return (timeline.GetProperty("seq").GetInt64(), Canonical(timeline));
    }

    /// <summary>
    /// Connected again if the automatic reconnection gave up (its replica was down for longer): a new connection to
    /// the server's current address, and Resume.
    /// </summary>
    public async Task EnsureConnectedAsync(CancellationToken cancellationToken)
    {
        if (_connection.State is HubConnectionState.Connected or HubConnectionState.Reconnecting or HubConnectionState.Connecting)
        {
            return;
        }

        await _connection.DisposeAsync().ConfigureAwait(false);
        _connection = Build();
        await _connection.StartAsync(cancellationToken).ConfigureAwait(false);
        Apply(await InvokeUntilAnsweredAsync("Resume", [], cancellationToken).ConfigureAwait(false), snapshot: true);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_heartbeats is not null)
        {
            await _heartbeats.ConfigureAwait(false);
        }

        await _connection.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    private HubConnection Build()
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(_server(), "hubs/sync"), HttpTransportType.WebSockets, options =>
            {
                options.SkipNegotiation = true;
                options.AccessTokenProvider = () => Task.FromResult<string?>(_token);
            })
            .WithAutomaticReconnect(new EveryHalfSecond())
            .Build();
        connection.On<JsonElement>("TimelineChanged", timeline => Apply(timeline, snapshot: false));
        connection.On("ResyncRequested", () => _ = ResyncAsync("GetSnapshot"));
        connection.Reconnected += _ => ResyncAsync("Resume");
        return connection;
    }

    private async Task ResyncAsync(string method)
    {
        try
        {
            Apply(await InvokeUntilAnsweredAsync(method, [], _stopping.Token).ConfigureAwait(false), snapshot: true);
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException or InvalidOperationException)
        {
            // Stopping, or the connection went again: the next reconnection resynchronises.
        }
    }

    private async Task HeartbeatAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                await CommandAsync("Heartbeat", [null], cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    // Calls that must succeed for the client to follow the room (join, snapshots): retried while the server answers
    // "unavailable" or the connection is between attempts.
    private async Task<JsonElement> InvokeUntilAnsweredAsync(string method, object?[] args, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        string? last = null;
        while (Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(60))
        {
            var wait = TimeSpan.FromMilliseconds(250);
            JsonElement result;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(CommandTimeout);
                result = await _connection.InvokeCoreAsync<JsonElement>(method, args, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                last = ex.Message;
                await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (result.GetProperty("ok").GetBoolean())
            {
                return result.GetProperty("value");
            }

            var error = result.GetProperty("error");
            last = error.GetProperty("code").GetString();
            if (last != "unavailable" && last != "rate_limited")
            {
                throw new InvalidOperationException($"{Name}: {method} was refused: {error}");
            }

            if (error.TryGetProperty("retryAfterMs", out var retry) && retry.ValueKind == JsonValueKind.Number)
            {
                wait = TimeSpan.FromMilliseconds(retry.GetDouble());
            }

            await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
        }

        throw new TimeoutException($"{Name}: {method} got no answer within 60 s (last: {last})");
    }

    private void Apply(JsonElement value, bool snapshot)
    {
        var timeline = snapshot ? value.GetProperty("timeline") : value;
        var seq = timeline.GetProperty("seq").GetInt64();
        var state = Canonical(timeline);
        var pendingForMe = false;
        lock (_gate)
        {
            if (_seen.TryGetValue(seq, out var earlier) && earlier != state)
            {
                _forks.Add($"{Name} seq {seq}: {earlier} then {state}");
            }

            _seen[seq] = state;
            if (seq > LastSeq)
            {
                LastSeq = seq;
                pendingForMe = timeline.GetProperty("waiting") is { ValueKind: JsonValueKind.Object } waiting
                    && waiting.GetProperty("pending").EnumerateArray().Any(p => p.GetString() == UserId);
            }
        }

        if (pendingForMe)
        {
            // The player is "loaded" at once: the room waits for every present member after a seek or media change.
            _ = CommandAsync("ReportReady", [timeline.GetProperty("positionMs").GetDouble()], _stopping.Token);
        }
    }

    // The state that must be the same everywhere for one seq (not the member list, which is presence).
    private static string Canonical(JsonElement timeline)
    {
        var waiting = timeline.GetProperty("waiting");
        return string.Join('|',
            Raw(timeline, "seq"), Raw(timeline, "mediaUrl"), Raw(timeline, "playing"), Raw(timeline, "positionMs"), Raw(timeline, "atServerMs"),
            Raw(timeline, "speed"), waiting.ValueKind == JsonValueKind.Object ? $"{Raw(waiting, "reason")}@{Raw(waiting, "deadlineServerMs")}" : "-");
    }

    private static string Raw(JsonElement element, string name) => element.GetProperty(name).GetRawText();

    private sealed class EveryHalfSecond : IRetryPolicy
    {
        public TimeSpan? NextRetryDelay(RetryContext retryContext) =>
            retryContext.ElapsedTime < TimeSpan.FromSeconds(60) ? TimeSpan.FromMilliseconds(500) : null;
    }
}
