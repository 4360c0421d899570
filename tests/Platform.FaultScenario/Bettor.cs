using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Platform.FaultScenario;

/// <summary>One placement as the client saw it: acknowledged (201) with a bet id, refused (another final answer), or neither.</summary>
public sealed record Placement(string Key, int? Status, string? BetId, bool Replayed, long FinalAttemptSentAt, long AnsweredAt, int Attempts);

/// <summary>
/// A signed-in wallet placing $1 bets through web's proxy, one at a time and paced, each with its own Idempotency-Key,
/// retried with the same key on 503, 502/504, 409, 429 and timeouts (after Retry-After when given), as a client should.
/// </summary>
public sealed class Bettor(HttpClient web, EthereumKey key)
{
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(5);
    private readonly List<Placement> _placements = [];
    private string? _token;

    public string Wallet => key.Address;

    public IReadOnlyList<Placement> Placements
    {
        get
        {
            lock (_placements)
            {
                return [.. _placements];
            }
        }
    }

    /// <summary>Signs in with SIWE (a nonce, a message for web's origin, the signature) and takes the faucet's test money.</summary>
    public async Task SignInAsync(CancellationToken cancellationToken)
    {
        var origin = web.BaseAddress!;
        var nonce = await SendUntilAnsweredAsync(() => new HttpRequestMessage(HttpMethod.Get, "api/bets/auth/nonce"), cancellationToken).ConfigureAwait(false);
        var nonceValue = (await ReadJsonAsync(nonce, cancellationToken).ConfigureAwait(false)).GetProperty("nonce").GetString();
        var message = string.Join('\n',
            $"{origin.Authority} wants you to sign in with your Ethereum account:",
            key.Address,
            "",
            "Sign in to the BTC grid.",
            "",
            $"URI: {origin.GetLeftPart(UriPartial.Authority)}",
            "Version: 1",
            "Chain ID: 1",
            $"Nonce: {nonceValue}",
            $"Issued At: {DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)}");
        var signature = key.SignPersonalMessage(message);
        var session = await SendUntilAnsweredAsync(() => new HttpRequestMessage(HttpMethod.Post, "api/bets/auth/verify")
        {
            Content = JsonContent.Create(new { message, signature }),
        }, cancellationToken).ConfigureAwait(false);
        EnsureStatus(session, HttpStatusCode.OK, "sign-in");
        _token = (await ReadJsonAsync(session, cancellationToken).ConfigureAwait(false)).GetProperty("token").GetString();
        var faucet = await SendUntilAnsweredAsync(() => Authorized(HttpMethod.Post, "api/bets/wallet/faucet"), cancellationToken).ConfigureAwait(false);
        EnsureStatus(faucet, HttpStatusCode.OK, "the faucet");
    }

    /// <summary>
    /// Places bets one after another, a new one every <paramref name="pace"/>, until <paramref name="stop"/> is
    /// cancelled; the placement in flight then still retries until it has a final answer or <paramref name="cancellationToken"/> ends.
    /// </summary>
    public async Task RunAsync(TimeSpan pace, CancellationToken stop, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(pace);
        while (!stop.IsCancellationRequested)
        {
            var cell = await BettableCellAsync(stop).ConfigureAwait(false);
            if (cell is { } c)
            {
                var placement = await PlaceAsync(Guid.NewGuid().ToString("N"), c.Band, c.WindowStart, cancellationToken).ConfigureAwait(false);
                lock (_placements)
                {
                    _placements.Add(placement);
                }
            }

            try
            {
                await timer.WaitForNextTickAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
        }
    }

    /// <summary>The wallet's bets, balance and ledger as the API reports them.</summary>
    public async Task<WalletAudit> AuditAsync(CancellationToken cancellationToken)
    {
        var bets = await ReadJsonAsync(await SendOkAsync("api/bets/bets?limit=1000", cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        var balance = await ReadJsonAsync(await SendOkAsync("api/bets/balance", cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        var ledger = await ReadJsonAsync(await SendOkAsync("api/bets/wallet/ledger?limit=1000", cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        return new WalletAudit(
            Wallet,
            [.. bets.EnumerateArray().Select(b => new BetRecord(b.GetProperty("id").GetString()!, b.GetProperty("status").GetString()!,
                b.GetProperty("windowStart").GetInt64(), b.GetProperty("windowEnd").GetInt64(), b.TryGetProperty("evidence", out var e) ? e.ToString() : null))],
            balance.GetProperty("balance").GetInt64(),
            [.. ledger.EnumerateArray().Select(l => new LedgerRecord(l.GetProperty("id").GetInt64(), l.GetProperty("amount").GetInt64(), l.GetProperty("kind").GetString()!,
                l.TryGetProperty("betId", out var id) ? id.GetString() : null, l.GetProperty("balanceAfter").GetInt64()))]);
    }

    private async Task<(int Band, long WindowStart)?> BettableCellAsync(CancellationToken stop)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
            timeout.CancelAfter(AttemptTimeout);
            using var response = await web.GetAsync(new Uri("api/bets/grid", UriKind.Relative), timeout.Token).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                await Task.Delay(RetryAfter(response), stop).ConfigureAwait(false);
                return null;
            }

            var grid = await ReadJsonAsync(response, timeout.Token).ConfigureAwait(false);
            // The likeliest cell of the earliest window: the lowest multiplier, so the cell's exposure cap stays far off.
            var cells = grid.GetProperty("cells").EnumerateArray().Where(c => c.GetProperty("bettable").GetBoolean()).ToList();
            if (cells.Count == 0)
            {
                return null;
            }

            var first = cells.Min(c => c.GetProperty("windowStart").GetInt64());
            var best = cells.Where(c => c.GetProperty("windowStart").GetInt64() == first).MaxBy(c => c.GetProperty("probability").GetDouble());
            return (best.GetProperty("band").GetInt32(), first);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or JsonException && !stop.IsCancellationRequested)
        {
            return null;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    private async Task<Placement> PlaceAsync(string idempotencyKey, int band, long windowStart, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.Serialize(new { band, windowStart, stake = 100 });
        for (var attempt = 1; ; attempt++)
        {
            var sent = Stopwatch.GetTimestamp();
            using var request = Authorized(HttpMethod.Post, "api/bets/bets");
            request.Headers.Add("Idempotency-Key", idempotencyKey);
            request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(AttemptTimeout);
            HttpResponseMessage? response = null;
            try
            {
                response = await web.SendAsync(request, timeout.Token).ConfigureAwait(false);
                if (IsFinal(response.StatusCode))
                {
                    string? betId = null;
                    if (response.StatusCode == HttpStatusCode.Created)
                    {
                        betId = (await ReadJsonAsync(response, timeout.Token).ConfigureAwait(false)).GetProperty("bet").GetProperty("id").GetString();
                    }

                    return new Placement(idempotencyKey, (int)response.StatusCode, betId, response.Headers.Contains("Idempotent-Replayed"), sent, Stopwatch.GetTimestamp(), attempt);
                }
            }
            catch (Exception ex) when (ex is HttpRequestException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                // No answer (connection refused or reset, a timeout): the bet may or may not be placed; the same key tells.
            }
            catch (OperationCanceledException)
            {
                return new Placement(idempotencyKey, null, null, false, sent, Stopwatch.GetTimestamp(), attempt);
            }

            var wait = response is null ? TimeSpan.FromMilliseconds(250) : RetryAfter(response);
            response?.Dispose();
            try
            {
                await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return new Placement(idempotencyKey, null, null, false, sent, Stopwatch.GetTimestamp(), attempt);
            }
        }
    }

    // 503 (Redis out of reach, stale feed), 502/504 (the proxy found no bets-api), 409 (the key in flight) and 429 say
    // "try again"; everything else is the answer to this key.
    private static bool IsFinal(HttpStatusCode status) => status is not (HttpStatusCode.ServiceUnavailable or HttpStatusCode.BadGateway
        or HttpStatusCode.GatewayTimeout or HttpStatusCode.Conflict or HttpStatusCode.TooManyRequests or HttpStatusCode.InternalServerError);

    private static TimeSpan RetryAfter(HttpResponseMessage response) =>
        response.Headers.RetryAfter?.Delta is { } delta && delta > TimeSpan.Zero ? delta : TimeSpan.FromMilliseconds(500);

    private HttpRequestMessage Authorized(HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token ?? throw new InvalidOperationException("Sign in first."));
        return request;
    }

    private async Task<HttpResponseMessage> SendOkAsync(string path, CancellationToken cancellationToken)
    {
        var response = await SendUntilAnsweredAsync(() => Authorized(HttpMethod.Get, path), cancellationToken).ConfigureAwait(false);
        EnsureStatus(response, HttpStatusCode.OK, path);
        return response;
    }

    // Sends until the answer is not a "try again" one, for the calls around the load (sign-in, audit) that must not
    // fail because a fault is still settling.
    private async Task<HttpResponseMessage> SendUntilAnsweredAsync(Func<HttpRequestMessage> create, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            using var request = create();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(AttemptTimeout);
            var wait = TimeSpan.FromMilliseconds(250);
            try
            {
                var response = await web.SendAsync(request, timeout.Token).ConfigureAwait(false);
                if (IsFinal(response.StatusCode) || Stopwatch.GetElapsedTime(started) > TimeSpan.FromSeconds(60))
                {
                    return response;
                }

                wait = RetryAfter(response);
                response.Dispose();
            }
            catch (Exception ex) when (ex is HttpRequestException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
            }

            await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
        }
    }

    private static void EnsureStatus(HttpResponseMessage response, HttpStatusCode expected, string what)
    {
        if (response.StatusCode != expected)
        {
            throw new InvalidOperationException($"{what} answered {(int)response.StatusCode}: {response.Content.ReadAsStringAsync().GetAwaiter().GetResult()}");
        }
    }

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        return (await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken).ConfigureAwait(false)).RootElement.Clone();
    }
}

public sealed record BetRecord(string Id, string Status, long WindowStart, long WindowEnd, string? Evidence);

public sealed record LedgerRecord(long Id, long Amount, string Kind, string? BetId, long BalanceAfter);

public sealed record WalletAudit(string Wallet, IReadOnlyList<BetRecord> Bets, long Balance, IReadOnlyList<LedgerRecord> Ledger);
