using System.Collections.Concurrent;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Bets.Api.Auth;
using Bets.Api.Grid;
using Bets.Api.Prices;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Platform.Redis.Failover;

namespace Bets.Api.Bets;

public sealed record PlaceBetRequest(int Band, long WindowStart, long Stake);
public sealed record PlaceBetResponse(BetDto Bet, long Balance);

/// <summary>Requests of this process still being processed, per (wallet, Idempotency-Key): a duplicate gets 409.</summary>
public sealed class InFlightKeys
{
    private readonly ConcurrentDictionary<(string, string), byte> _keys = new();
    public bool TryEnter(string wallet, string key) => _keys.TryAdd((wallet, key), 0);
    public void Exit(string wallet, string key) => _keys.TryRemove((wallet, key), out _);
}

public static class BetsApi
{
    public static WebApplication MapBetsApi(this WebApplication app)
    {
        var group = app.MapGroup("/bets").WithTags("Bets").RequireAuthorization().RequireRedis();
        group.MapPost("/", Place)
            .RequireRateLimiting(BetRateLimits.Policy)
            .WithSummary("Places a bet on one grid cell. Requires an Idempotency-Key header (IETF draft semantics).")
            .Produces<PlaceBetResponse>(201)
            .ProducesValidationProblem()
            .ProducesProblem(409).ProducesProblem(422).ProducesProblem(429).ProducesProblem(503);
        group.MapGet("/", List).WithSummary("The signed-in wallet's bets, newest first.");
        group.MapGet("/{id}", Get).WithSummary("One of the signed-in wallet's bets, with its resolution evidence.");
        return app;
    }

    private static async Task<IResult> Place(
        PlaceBetRequest request, [FromHeader(Name = "Idempotency-Key")] string? key, HttpContext context, ClaimsPrincipal user,
        BetStore store, GridService grid, PriceFeed feed, InFlightKeys inFlight, IOptions<PriceFeedOptions> feedOptions, TimeProvider time, CancellationToken ct)
    {
        var wallet = user.Wallet();
        if (key is null || key.Length is 0 or > 255 || key.Any(c => c < 0x21 || c > 0x7e))
        {
            return Problem(400, Problems.IdempotencyKeyInvalid, "Idempotency-Key required",
                "POST /bets needs an Idempotency-Key header of 1 to 255 visible ASCII characters (for example a UUID).");
        }
        var record = new IdempotencyRecord(key, Fingerprint(request));

        if (!inFlight.TryEnter(wallet, key))
        {
            return Problem(409, Problems.IdempotencyInFlight, "Request in progress",
                "A request with this Idempotency-Key is still being processed; retry after it completes.");
        }
        try
        {
            if (await store.FindStoredAsync(wallet, record, ct).ConfigureAwait(false) is { } earlier) return Respond(earlier);

            var o = grid.Options;
            if (request.Stake < o.MinStake || request.Stake > o.MaxStake)
            {
                // In dollars for the person, then in cents, the unit of the field (Web.Frontend still reads the cents from
                // this text); the bounds in cents as extensions for a program.
                var bounds = $"The stake must be between {Money.Dollars(o.MinStake)} and {Money.Dollars(o.MaxStake)} (between {o.MinStake} and {o.MaxStake} cents).";
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["stake"] = [bounds] }, detail: bounds,
                    title: "Stake out of bounds", type: Problems.StakeOutOfBounds,
                    extensions: new Dictionary<string, object?> { ["minStake"] = o.MinStake, ["maxStake"] = o.MaxStake });
            }
            if (request.WindowStart % (o.WindowSeconds * 1000L) != 0)
            {
                return TypedResults.ValidationProblem(
                    new Dictionary<string, string[]> { ["windowStart"] = [$"Windows start at multiples of {o.WindowSeconds} s (unix ms)."] },
                    title: "Not a grid window", type: Problems.CellNotOnGrid);
            }
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            if (feed.Current() is not { Stale: false } reading)
            {
                context.Response.Headers.RetryAfter = "1";
                return Problem(503, Problems.StalePrice, "Price feed stale",
                    "Bets are paused: the latest price is missing, marked stale or older than " + feedOptions.Value.StaleAfterSeconds + " s.");
            }
            var price = reading.Snapshot;
            if (CheckCell(request, price.Price, now, o) is { } cellProblem) return cellProblem;

            var sigma = await grid.SigmaAsync(ct).ConfigureAwait(false);
            var cell = GridCalculator.PriceCell(price.Price, sigma, now, request.Band, request.WindowStart, o);
            if (!cell.Bettable)
            {
                return Problem(422, Problems.CellNoValue, "Cell not available", $"This cell cannot be bet on: {cell.Reason}.");
            }
            StoredResponse? stored = null;
            var outcome = await store.PlaceAsync(wallet, request.Stake, cell, price.Price, o, record, placed => stored = Render(placed), ct).ConfigureAwait(false);
            return outcome switch
            {
                // The body stored for replays, sent as is: serialized once, and a replay is byte-identical by construction.
                PlaceOutcome.Placed placed => new CreatedResult($"/bets/{placed.Bet.Id}", stored!),
                PlaceOutcome.Rejected r => Problem(r.Status, r.Type, r.Title, r.Detail),
                _ => Respond(outcome),
            };
        }
        finally
        {
            inFlight.Exit(wallet, key);
        }
    }

    /// <summary>
    /// The request's meaning, not its bytes: binding is strict (every field required, none unknown, numbers as numbers),
    /// so the bound request is all the body says, and its serialization is a canonical form: fixed field order, no
    /// whitespace. Reordered keys or other spacing give the same fingerprint; another value gives another.
    /// </summary>
    internal static string Fingerprint(PlaceBetRequest request) =>
        Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(request, GridService.Json)));

    private static IResult? CheckCell(PlaceBetRequest request, decimal price, long now, GridOptions o)
    {
        var windowMs = o.WindowSeconds * 1000L;
        if (request.WindowStart + windowMs <= now)
        {
            return Problem(422, Problems.CellInPast, "Cell in the past", "This cell's window has already ended.");
        }
        if (request.WindowStart - now < o.MinLeadSeconds * 1000L)
        {
            return Problem(422, Problems.CellTooSoon, "Cell starts too soon",
                $"Bets close {o.MinLeadSeconds} s before a window starts; this one starts in {Math.Max(0, (request.WindowStart - now) / 1000.0):0.#} s.");
        }
        var last = GridCalculator.FirstWindowStart(now, o.WindowSeconds) + (o.Windows - 1) * windowMs;
        var center = GridCalculator.BandOf(price, o.BandWidth);
        if (request.WindowStart > last || Math.Abs(request.Band - center) > o.BandsEachSide)
        {
            return Problem(422, Problems.CellNotOnGrid, "Cell not on the grid",
                $"Only bands {center - o.BandsEachSide}..{center + o.BandsEachSide} and windows up to {last} are open now.");
        }
        return null;
    }

    private static StoredResponse Render(PlaceOutcome outcome) => outcome switch
    {
        PlaceOutcome.Placed p => new(201, "application/json", JsonSerializer.Serialize(new PlaceBetResponse(p.Bet, p.Balance), GridService.Json)),
        PlaceOutcome.Rejected r => new(r.Status, "application/problem+json", JsonSerializer.Serialize(
            new ProblemDetails { Status = r.Status, Type = r.Type, Title = r.Title, Detail = r.Detail }, GridService.Json)),
        _ => throw new InvalidOperationException("only new outcomes are stored"),
    };

    private static IResult Respond(PlaceOutcome outcome) => outcome switch
    {
        PlaceOutcome.Replayed r => new ReplayResult(r),
        PlaceOutcome.KeyReusedWithOtherBody => Problem(422, Problems.IdempotencyKeyReused, "Idempotency-Key reused",
            "This Idempotency-Key was already used with a different request body."),
        _ => throw new InvalidOperationException(),
    };

    private sealed class ReplayResult(PlaceOutcome.Replayed stored) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers["Idempotent-Replayed"] = "true";
            return Results.Content(stored.Body, stored.ContentType, Encoding.UTF8, stored.Status).ExecuteAsync(httpContext);
        }
    }

    private sealed class CreatedResult(string location, StoredResponse stored) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.Location = location;
            return Results.Content(stored.Body, stored.ContentType, Encoding.UTF8, stored.Status).ExecuteAsync(httpContext);
        }
    }

    internal static ProblemHttpResult Problem(int status, string type, string title, string detail) =>
        TypedResults.Problem(statusCode: status, type: type, title: title, detail: detail);

    /// <summary>The statuses a bet can have (the CHECK constraint of <c>bets.status</c>).</summary>
    public static readonly IReadOnlyList<string> Statuses = ["open", "won", "lost", "void"];

    private static async Task<Results<Ok<IReadOnlyList<BetDto>>, ValidationProblem>> List(
        ClaimsPrincipal user, BetStore store, string? status, int? limit, CancellationToken ct)
    {
        if (status is not null && !Statuses.Contains(status))
        {
            return RequestErrors.Problem(new Dictionary<string, string[]> { ["status"] = [$"status must be one of {string.Join(", ", Statuses)}."] });
        }
        if (limit is < 1 or > 1000) return RequestErrors.Problem(new Dictionary<string, string[]> { ["limit"] = ["limit must be between 1 and 1000."] });
        return TypedResults.Ok(await store.ListAsync(user.Wallet(), status, limit ?? 100, ct).ConfigureAwait(false));
    }

    private static async Task<Results<Ok<BetDto>, NotFound>> Get(string id, ClaimsPrincipal user, BetStore store, CancellationToken ct) =>
        await store.GetAsync(id, ct).ConfigureAwait(false) is { } bet && bet.Wallet == user.Wallet() ? TypedResults.Ok(bet) : TypedResults.NotFound();
}
