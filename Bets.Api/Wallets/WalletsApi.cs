using System.Security.Claims;
using Bets.Api.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Platform.Redis.Failover;

namespace Bets.Api.Wallets;

public sealed record BalanceResponse(string Wallet, long Balance, long? DailyLimit, DateTimeOffset? ExcludedUntil, string Unit = "minor units (cents)");
public sealed record DailyLimitRequest(long? DailyLimit);
public sealed record SelfExclusionRequest(int Days);

public static class WalletsApi
{
    public static WebApplication MapWalletsApi(this WebApplication app)
    {
        app.MapGet("/balance", Balance).RequireAuthorization().RequireRedis().WithTags("Wallet").WithSummary("The signed-in wallet's balance and limits.");
        var group = app.MapGroup("/wallet").WithTags("Wallet").RequireAuthorization().RequireRedis();
        group.MapGet("/ledger", Ledger).WithSummary("The wallet's ledger entries, newest first (append-only).");
        group.MapPut("/daily-limit", SetDailyLimit).WithSummary("Sets (or with null removes) the wallet's own daily stake limit.");
        group.MapPost("/self-exclusion", SelfExclude).WithSummary("Excludes the wallet from betting for a number of days; it cannot be shortened.");
        // The faucet exists only in Development: elsewhere the route is not even mapped.
        if (app.Environment.IsDevelopment() && app.Services.GetRequiredService<IOptions<FaucetOptions>>().Value.FaucetEnabled)
        {
            group.MapPost("/faucet", Faucet).WithSummary("Development only: credits test money.");
        }
        return app;
    }

    private static async Task<Ok<BalanceResponse>> Balance(ClaimsPrincipal user, WalletLedger wallets, CancellationToken ct)
    {
        var s = await wallets.GetAsync(user.Wallet(), ct);
        return TypedResults.Ok(new BalanceResponse(s.Wallet, s.Balance, s.DailyLimit,
            s.ExcludedUntil is { } u ? DateTimeOffset.FromUnixTimeMilliseconds(u) : null));
    }

    private static async Task<Results<Ok<IReadOnlyList<LedgerEntry>>, ValidationProblem>> Ledger(ClaimsPrincipal user, WalletLedger wallets, int? limit, CancellationToken ct)
    {
        if (limit is < 1 or > 1000)
        {
            return RequestErrors.Problem(new Dictionary<string, string[]> { ["limit"] = ["limit must be between 1 and 1000."] });
        }

        return TypedResults.Ok(await wallets.HistoryAsync(user.Wallet(), limit ?? 100, ct));
    }

    private static async Task<Results<NoContent, ValidationProblem>> SetDailyLimit(DailyLimitRequest request, ClaimsPrincipal user, WalletLedger wallets, CancellationToken ct)
    {
        if (request.DailyLimit is < 0)
        {
            return RequestErrors.Problem(new Dictionary<string, string[]> { ["dailyLimit"] = ["The daily limit cannot be negative (it is an amount in cents; 500 is $5.00)."] });
        }
        await wallets.SetDailyLimitAsync(user.Wallet(), request.DailyLimit, ct);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<BalanceResponse>, ValidationProblem>> SelfExclude(
        SelfExclusionRequest request, ClaimsPrincipal user, WalletLedger wallets, TimeProvider time, CancellationToken ct)
    {
        if (request.Days is < 1 or > 3650)
        {
            return RequestErrors.Problem(new Dictionary<string, string[]> { ["days"] = ["Self-exclusion lasts 1 to 3650 days."] });
        }
        await wallets.ExcludeUntilAsync(user.Wallet(), time.GetUtcNow().AddDays(request.Days).ToUnixTimeMilliseconds(), ct);
        return (await Balance(user, wallets, ct));
    }

    private static async Task<Ok<BalanceResponse>> Faucet(ClaimsPrincipal user, WalletLedger wallets, IOptions<FaucetOptions> options, CancellationToken ct)
    {
        await wallets.FaucetAsync(user.Wallet(), options.Value.FaucetAmount, ct);
        return await Balance(user, wallets, ct);
    }
}
