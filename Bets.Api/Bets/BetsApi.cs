using System.Diagnostics;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Bets.Api.Auth;
using Bets.Api.Data;
using Bets.Api.Grid;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Platform.Redis.Failover;

namespace Bets.Api.Bets;

public sealed record PlaceBetRequest(int Band, long WindowStart, long Stake);
public sealed record PlaceBetResponse(BetDto Bet, long Balance);

public static class BetsApi
{
    public static WebApplication MapBetsApi(this WebApplication app)
    {
        var group = app.MapGroup("/bets").WithTags("Bets").RequireAuthorization().RequireRedis();
        group.MapPost("/", Place)
            .RequireRateLimiting(BetRateLimits.Policy)
            .WithSummary("Places a bet on one grid cell. Requires an Idempotency-Key header (IETF draft semantics).")
            .ProducesProblem(403).ProducesProblem(409).ProducesProblem(422).ProducesProblem(429).ProducesProblem(503);
        group.MapGet("/", List).WithSummary("The signed-in wallet's bets, newest first.");
        group.MapGet("/{id}", Get).WithSummary("One of the signed-in wallet's bets, with its resolution evidence.");
        return app;
    }

    /// <summary>The services POST /bets uses.</summary>
    internal readonly record struct Placing(BetPlacement Placement, IdempotencyStore Idempotency, InFlightKeys InFlight, BetsDatabase Database, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> Json);

    private static async Task<Results<Created<PlaceBetResponse>, ValidationProblem, ProblemHttpResult, SentBefore>> Place(
        PlaceBetRequest request, [FromHeader(Name = "Idempotency-Key")] string? key, ClaimsPrincipal user, HttpContext context,
        [AsParameters] Placing s, CancellationToken ct)
    {
        var wallet = user.Wallet();
        if (key is null || key.Length is 0 or > 255 || key.Any(c => c < 0x21 || c > 0x7e))
        {
            return Problem(400, Problems.IdempotencyKeyInvalid, "Idempotency-Key required",
                "POST /bets needs an Idempotency-Key header of 1 to 255 visible ASCII characters (for example a UUID).");
        }
        if (!s.InFlight.TryEnter(wallet, key))
        {
            return Problem(409, Problems.IdempotencyInFlight, "Request in progress", "A request with this Idempotency-Key is still being processed; retry after it completes.");
        }
        try
        {
            var record = new IdempotencyRecord(key, Fingerprint(request));
            if (await s.Idempotency.FindAsync(wallet, key, ct) is { } earlier)
            {
                return Replay(earlier, record);
            }

            var (quote, refused) = await s.Placement.QuoteAsync(new PlaceBet(wallet, request.Band, request.WindowStart, request.Stake), ct);
            if (refused is not null)
            {
                return Refuse(refused, context); // decided without the lock: nothing to keep for a retry
            }
            // The bet and the response to it commit together: a retry finds the response and never places twice.
            PlaceOutcome? outcome = null;
            var exchange = await s.Database.WriteAsync((_, tx) => Task.FromResult(s.Idempotency.FindUnderLock(tx, wallet, key)
                ?? s.Idempotency.Save(tx, wallet, record, Store(outcome = s.Placement.Commit(tx, quote!), context, s.Json.Value.SerializerOptions))), ct);
            return outcome switch
            {
                null => Replay(exchange, record),
                PlaceOutcome.Placed placed => TypedResults.Created($"/bets/{placed.Bet.Id}", new PlaceBetResponse(placed.Bet, placed.Balance)),
                _ => new SentBefore(exchange.Response, Replayed: false),
            };
        }
        finally
        {
            s.InFlight.Exit(wallet, key);
        }
    }

    /// <summary>
    /// The request's meaning, not its bytes: binding is strict (every field required, none unknown, numbers as numbers),
    /// so the bound request is all the body says, and its serialization is a canonical form: fixed field order, no
    /// whitespace. Reordered keys or other spacing give the same fingerprint; another value gives another.
    /// </summary>
    internal static string Fingerprint(PlaceBetRequest request) =>
        Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(request, GridService.Json)));

    private static Results<Created<PlaceBetResponse>, ValidationProblem, ProblemHttpResult, SentBefore> Replay(StoredExchange earlier, IdempotencyRecord record) =>
        earlier.Fingerprint == record.Fingerprint
            ? new SentBefore(earlier.Response, Replayed: true)
            : Problem(422, Problems.IdempotencyKeyReused, "Idempotency-Key reused", "This Idempotency-Key was already used with a different request body.");

    /// <summary>
    /// The response to an outcome decided under the lock, as it is sent and kept: a placed bet is serialized as
    /// <see cref="Created{TValue}"/> serializes it (the same options), a refusal is sent from the stored bytes.
    /// </summary>
    private static StoredResponse Store(PlaceOutcome outcome, HttpContext context, JsonSerializerOptions json) => outcome switch
    {
        PlaceOutcome.Placed p => new(201, "application/json", JsonSerializer.Serialize(new PlaceBetResponse(p.Bet, p.Balance), json)),
        PlaceOutcome.Refused r when ProblemOf(r) is var problem => new(problem.Status!.Value, "application/problem+json",
            JsonSerializer.Serialize(WithTraceId(problem, context), json)),
        _ => throw new InvalidOperationException("unknown outcome"),
    };

    private static ProblemDetails WithTraceId(ProblemDetails problem, HttpContext context)
    {
        problem.Extensions["traceId"] = Activity.Current?.Id ?? context.TraceIdentifier;
        return problem;
    }

    private static Results<Created<PlaceBetResponse>, ValidationProblem, ProblemHttpResult, SentBefore> Refuse(PlaceOutcome.Refused r, HttpContext context)
    {
        var problem = ProblemOf(r);
        switch (r.Reason)
        {
            case Refusal.StakeOutOfBounds or Refusal.NotAWindowStart:
                var field = r.Reason == Refusal.StakeOutOfBounds ? "stake" : "windowStart";
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [r.Detail] }, detail: problem.Detail,
                    title: problem.Title, type: problem.Type, extensions: problem.Extensions);
            case Refusal.PriceStale:
                context.Response.Headers.RetryAfter = "1";
                break;
        }
        return TypedResults.Problem(problem);
    }

    /// <summary>A refusal as problem details: the words for a person (dollars), the facts for a program (cents).</summary>
    internal static ProblemDetails ProblemOf(PlaceOutcome.Refused r)
    {
        var (status, type, title) = r.Reason switch
        {
            Refusal.StakeOutOfBounds => (400, Problems.StakeOutOfBounds, "Stake out of bounds"),
            Refusal.NotAWindowStart => (400, Problems.CellNotOnGrid, "Not a grid window"),
            Refusal.PriceStale => (503, Problems.StalePrice, "Price feed stale"),
            Refusal.CellInPast => (422, Problems.CellInPast, "Cell in the past"),
            Refusal.CellTooSoon => (422, Problems.CellTooSoon, "Cell starts too soon"),
            Refusal.CellNotOnGrid => (422, Problems.CellNotOnGrid, "Cell not on the grid"),
            Refusal.CellNoValue => (422, Problems.CellNoValue, "Cell not available"),
            Refusal.SelfExcluded => (403, Problems.SelfExcluded, "Self-excluded"),
            Refusal.DailyLimitReached => (422, Problems.DailyLimit, "Daily limit reached"),
            Refusal.InsufficientBalance => (422, Problems.InsufficientBalance, "Insufficient balance"),
            Refusal.CellFull => (422, Problems.ExposureCap, "Cell is full"),
            _ => throw new ArgumentOutOfRangeException(nameof(r), r.Reason, null),
        };
        var problem = new ProblemDetails { Status = status, Type = type, Title = title, Detail = r.Detail };
        var facts = problem.Extensions;
        facts["code"] = Problems.Code(type);
        void Fact(string name, object? value)
        {
            if (value is not null)
            {
                facts[name] = value;
            }
        }
        // minStake/maxStake predate the Cents suffix; clients read them already.
        Fact("minStake", r.MinStakeCents);
        Fact("maxStake", r.MaxStakeCents);
        Fact("neededCents", r.NeededCents);
        Fact("balanceCents", r.BalanceCents);
        Fact("limitCents", r.LimitCents);
        Fact("stakedTodayCents", r.StakedTodayCents);
        Fact("remainingCents", r.RemainingPayoutCents);
        Fact("excludedUntil", r.ExcludedUntil);
        return problem;
    }

    /// <summary>A response stored for an Idempotency-Key, sent as it was kept: a replay is byte-identical by construction.</summary>
    public sealed class SentBefore(StoredResponse stored, bool Replayed) : IResult, IStatusCodeHttpResult, IContentTypeHttpResult
    {
        public int? StatusCode => stored.Status;
        public string? ContentType => stored.ContentType;

        public Task ExecuteAsync(HttpContext httpContext)
        {
            if (Replayed)
            {
                httpContext.Response.Headers["Idempotent-Replayed"] = "true";
            }

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
        if (limit is < 1 or > 1000)
        {
            return RequestErrors.Problem(new Dictionary<string, string[]> { ["limit"] = ["limit must be between 1 and 1000."] });
        }

        return TypedResults.Ok(await store.ListAsync(user.Wallet(), status, limit ?? 100, ct));
    }

    private static async Task<Results<Ok<BetDto>, NotFound>> Get(string id, ClaimsPrincipal user, BetStore store, CancellationToken ct) =>
        await store.GetAsync(id, ct) is { } bet && bet.Wallet == user.Wallet() ? TypedResults.Ok(bet) : TypedResults.NotFound();
}
