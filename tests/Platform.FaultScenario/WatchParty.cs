using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.TestSupport;

namespace Platform.FaultScenario;

/// <summary>One hub command as the driver saw it.</summary>
public sealed record HubCommand(string Client, string Method, bool Ok, string? Error, long SentAt, long AnsweredAt);

/// <summary>A guest session of Sync.Api.</summary>
public sealed record SyncSession(string Name, string Token, string UserId);

/// <summary>
/// A room with viewers on each Sync.Api replica directly and one through web's proxy, taking turns at play, pause and
/// seek until stopped.
/// </summary>
public sealed class WatchParty : IAsyncDisposable
{
    private readonly List<WatchPartyClient> _clients;
    private readonly List<HubCommand> _commands = [];

    private WatchParty(List<WatchPartyClient> clients) => _clients = clients;

    public IReadOnlyList<WatchPartyClient> Clients => _clients;

    public IReadOnlyList<HubCommand> Commands
    {
        get
        {
            lock (_commands)
            {
                return [.. _commands];
            }
        }
    }

    /// <summary>Mints guest sessions through web's proxy (once per application: sessions are limited per client address).</summary>
    public static async Task<IReadOnlyList<SyncSession>> SessionsAsync(HttpClient web, int count, CancellationToken cancellationToken)
    {
        var sessions = new List<SyncSession>();
        for (var i = 0; i < count; i++)
        {
            using var response = await web.PostAsJsonAsync("api/sync/sessions", new { displayName = $"viewer{i}" }, cancellationToken).ConfigureAwait(false);
            response.EnsureSuccessStatusCode();
            var session = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken).ConfigureAwait(false);
            sessions.Add(new SyncSession($"viewer{i}", session.GetProperty("token").GetString()!, session.GetProperty("userId").GetString()!));
        }

        return sessions;
    }

    /// <summary>
    /// The first session creates a room; each viewer joins it through <paramref name="servers"/>[i] (its own
    /// address, re-read on reconnection); the host puts on an hour-long film.
    /// </summary>
    public static async Task<WatchParty> StartAsync(HttpClient web, IReadOnlyList<SyncSession> sessions, IReadOnlyList<Func<Uri>> servers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(web);
        ArgumentNullException.ThrowIfNull(sessions);
        ArgumentNullException.ThrowIfNull(servers);
        using var create = new HttpRequestMessage(HttpMethod.Post, "api/sync/rooms") { Content = JsonContent.Create(new { name = "faults", password = (string?)null }) };
        create.Headers.Authorization = new AuthenticationHeaderValue("Bearer", sessions[0].Token);
        using var created = await web.SendAsync(create, cancellationToken).ConfigureAwait(false);
        created.EnsureSuccessStatusCode();
        var roomId = (await created.Content.ReadFromJsonAsync<JsonElement>(cancellationToken).ConfigureAwait(false)).GetProperty("id").GetString()!;
        var clients = new List<WatchPartyClient>();
        for (var i = 0; i < servers.Count; i++)
        {
            clients.Add(await WatchPartyClient.JoinAsync(sessions[i].Name, servers[i], sessions[i].Token, sessions[i].UserId, roomId, cancellationToken).ConfigureAwait(false));
        }

        var party = new WatchParty(clients);
        var media = await clients[0].CommandAsync("ChangeMedia", [null, "https://media.platform.local/faults.mp4", "Faults", 3_600_000L], cancellationToken).ConfigureAwait(false);
        if (!media.Ok)
        {
            throw new InvalidOperationException($"ChangeMedia was refused: {media.Error}");
        }

        return party;
    }

    /// <summary>Play, pause and seek by each viewer in turn, one every <paramref name="pace"/>, until <paramref name="stop"/>.</summary>
    public async Task DriveAsync(TimeSpan pace, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(pace);
        var turn = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                var client = _clients[turn % _clients.Count];
                var (method, args) = ((turn / _clients.Count) % 3) switch
                {
                    0 => ("Play", new object?[] { null }),
                    1 => ("Pause", [null]),
                    _ => ("Seek", [null, (double)(turn * 7919 % 3_000_000)]),
                };
                turn++;
                var result = await client.CommandAsync(method, args, stop).ConfigureAwait(false);
                lock (_commands)
                {
                    _commands.Add(new HubCommand(client.Name, method, result.Ok, result.Error, result.SentAt, result.AnsweredAt));
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// After the fault: every viewer connected, one more command, and then every viewer holding the same seq and state
    /// as the server. Returns what differs, empty when the room converged on one timeline.
    /// </summary>
    public async Task<IReadOnlyList<string>> ConvergeAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        foreach (var client in _clients)
        {
            await client.EnsureConnectedAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            await Eventually.UntilAsync(() => _clients[0].CommandAsync("Pause", [null], cancellationToken), pause => pause.Ok,
                "the room to take a last Pause", cancellationToken, timeout, interval: TimeSpan.FromMilliseconds(250)).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            return [ex.Message];
        }

        var problems = new List<string>();
        try
        {
            await Eventually.UntilAsync(async () =>
            {
                var server = await _clients[0].ServerTimelineAsync(cancellationToken).ConfigureAwait(false);
                return _clients.All(c => c.Timeline == server);
            }, "the viewers to converge", cancellationToken, timeout, Describe).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            problems.Add(ex.Message);
        }

        problems.AddRange(_clients.SelectMany(c => c.Forks));
        return problems;
    }

    public string Describe() => string.Join("; ", _clients.Select(c => $"{c.Name} seq {c.Timeline.Seq} {(c.Connected ? "" : "(disconnected) ")}{c.Timeline.State}"));

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync().ConfigureAwait(false);
        }
    }
}
