using System.ComponentModel.DataAnnotations;

namespace Bets.Api.Wallets;

/// <summary>
/// The Development-only faucet. Bound from section "Betting", where its keys have always been documented; its own class
/// because wallets sit below bets and may not depend on <c>BettingOptions</c>.
/// </summary>
public sealed class FaucetOptions
{
    public const string Section = "Betting";

    /// <summary>Credits a wallet on request; on in Development, and the route is never mapped outside it.</summary>
    public bool FaucetEnabled { get; set; }
    [Range(1, long.MaxValue)] public long FaucetAmount { get; set; } = 100_000;
}
