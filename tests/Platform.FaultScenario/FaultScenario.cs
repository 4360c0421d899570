using System.Diagnostics;
using System.Globalization;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Platform.TestSupport;

namespace Platform.FaultScenario;

public enum Fault
{
    /// <summary>The dashboard's Force failover command (SENTINEL FAILOVER).</summary>
    SentinelFailover,

    /// <summary>SIGKILL of whichever Redis node is master.</summary>
    MasterKilled,

    /// <summary>SIGSTOP of the master until the Sentinels have promoted its replica (longer than down-after), then SIGCONT.</summary>
    MasterFrozen,

    /// <summary>SIGKILL of the Redis replica.</summary>
    RedisReplicaKilled,

    /// <summary>SIGKILL of one Sync.Api replica.</summary>
    SyncReplicaKilled,

    /// <summary>SIGKILL of Bets.Api.</summary>
    BetsApiKilled,
}

/// <summary>What one fault cost, as seen from the clients and from the API afterwards.</summary>
public sealed record FaultReport(
    Fault Fault, int Acked, int Lost, int Duplicated, int Voided, double RecoverySeconds, bool Converged, IReadOnlyList<string> Problems,
    IReadOnlyList<string> ViewerProblems)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Fault}: acked={Acked} lost={Lost} duplicated={Duplicated} voided={Voided} recovery_s={RecoverySeconds:0.00} converged={Converged}")
        + (Problems.Count == 0 ? "" : "\n  " + string.Join("\n  ", Problems));
}

/// <summary>
/// The whole system under a bounded load while one fault happens: four wallets placing $1 bets through web's proxy
/// (retrying with the same Idempotency-Key), five viewers in a room (two on each Sync.Api replica, one through web)
/// taking turns at play, pause and seek. Afterwards every acknowledged bet must be there exactly once, every balance
/// equal to its ledger, no bet voided across a Redis fault, and every viewer on the server's timeline.
/// </summary>
public sealed class FaultScenario : IDisposable
{
    private const int Wallets = 4;
    private static readonly TimeSpan BetPace = TimeSpan.FromMilliseconds(700);
    private static readonly TimeSpan CommandPace = TimeSpan.FromMilliseconds(300);
    private static readonly string[] Resources = ["redis-0", "redis-1", "redis-sentinel-0", "redis-sentinel-1", "redis-sentinel-2", "redis",
        "postgres", "prices-ingest", "bets-api", "sync-api", "web"];

    private readonly DistributedApplication _app;
    private readonly HttpClient _web;
    private readonly RedisNodes _redis;
    private readonly IReadOnlyList<SyncSession> _sessions;
    private readonly Action<string> _log;

    private FaultScenario(DistributedApplication app, HttpClient web, RedisNodes redis, IReadOnlyList<SyncSession> sessions, Action<string> log)
    {
        _app = app;
        _web = web;
        _redis = redis;
        _sessions = sessions;
        _log = log;
    }

    public static async Task<FaultScenario> CreateAsync(DistributedApplication app, Action<string> log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(app);
        var web = new HttpClient { BaseAddress = app.GetEndpoint("web", "http"), Timeout = Timeout.InfiniteTimeSpan };
        var redis = await RedisNodes.CreateAsync(app, cancellationToken).ConfigureAwait(false);
        var sessions = await WatchParty.SessionsAsync(web, 5, cancellationToken).ConfigureAwait(false);
        return new FaultScenario(app, web, redis, sessions, log);
    }

    /// <summary>Every resource healthy, and Redis one master with its replica online.</summary>
    public async Task SettleAsync(CancellationToken cancellationToken)
    {
        foreach (var name in Resources)
        {
            await _app.WaitForHealthyAsync(name, TimeSpan.FromSeconds(120), cancellationToken).ConfigureAwait(false);
        }

        await Eventually.UntilAsync(async () => await _redis.SettledAsync().ConfigureAwait(false) is not null,
            "Redis to settle as a master with its replica online", cancellationToken, TimeSpan.FromSeconds(60)).ConfigureAwait(false);
    }

    public async Task<FaultReport> RunAsync(Fault fault, CancellationToken cancellationToken)
    {
        await SettleAsync(cancellationToken).ConfigureAwait(false);
        var bettors = Enumerable.Range(0, Wallets).Select(_ => new Bettor(_web, EthereumKey.Random())).ToList();
        await Task.WhenAll(bettors.Select(b => b.SignInAsync(cancellationToken))).ConfigureAwait(false);
        Uri Replica(int i) => _app.RunningInstances("sync-api").ElementAtOrDefault(i)?.Url ?? new Uri("http://127.0.0.1:9/");
        await using var party = await WatchParty.StartAsync(_web, _sessions,
            [() => Replica(0), () => Replica(0), () => Replica(1), () => Replica(1), () => _web.BaseAddress!], cancellationToken).ConfigureAwait(false);

        using var stopLoad = new CancellationTokenSource();
        using var drain = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var load = bettors.Select(b => b.RunAsync(BetPace, stopLoad.Token, drain.Token)).Append(party.DriveAsync(CommandPace, stopLoad.Token)).ToList();
        var problems = new List<string>();
        double recovery;
        try
        {
            await WritesSucceedAsync(bettors, party, Stopwatch.GetTimestamp() - 1, 8, 5, "before the fault", cancellationToken).ConfigureAwait(false);
            var (faultAt, recovered) = await InjectAsync(fault, bettors, party, cancellationToken).ConfigureAwait(false);
            recovery = Stopwatch.GetElapsedTime(faultAt, recovered).TotalSeconds;
            _log(string.Create(CultureInfo.InvariantCulture, $"{fault}: recovered in {recovery:0.00} s"));
            await SettleAsync(cancellationToken).ConfigureAwait(false);
            await WritesSucceedAsync(bettors, party, Stopwatch.GetTimestamp(), 4, 3, "after the fault settled", cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await stopLoad.CancelAsync().ConfigureAwait(false);
            drain.CancelAfter(TimeSpan.FromSeconds(60));
            await Task.WhenAll(load).ConfigureAwait(false);
        }

        var converged = await party.ConvergeAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        problems.AddRange(converged);
        // Which node each Sync.Api replica's backplane listens on (a publish reaches the subscribers of the node it is
        // sent to and of that node's replicas): said after every fault, and a problem when the viewers did not converge.
        var subscriptions = "subscriptions: " + await _redis.DescribeSubscriptionsAsync(
            _app.RunningInstances("sync-api").ToDictionary(i => i.ProcessId, i => i.Id)).ConfigureAwait(false);
        _log(subscriptions);
        if (converged.Count > 0)
        {
            problems.Add(subscriptions);
        }
        var placements = bettors.SelectMany(b => b.Placements.Select(p => (b.Wallet, p))).ToList();
        problems.AddRange(placements.Where(p => p.p.Status is null).Select(p => $"{p.Wallet} key {p.p.Key}: no final answer after {p.p.Attempts} attempts"));

        // Across a Redis fault, bets whose windows span it must resolve (not void) once their windows end.
        if (fault is Fault.SentinelFailover or Fault.MasterKilled or Fault.MasterFrozen)
        {
            await Eventually.UntilAsync(async () =>
            {
                var audits = await Task.WhenAll(bettors.Select(b => b.AuditAsync(cancellationToken))).ConfigureAwait(false);
                return audits.SelectMany(a => a.Bets).All(b => b.Status != "open");
            }, "every bet to be resolved after its window ended", cancellationToken, TimeSpan.FromSeconds(150)).ConfigureAwait(false);
        }

        var (acked, lost, duplicated, voided) = (0, 0, 0, 0);
        foreach (var bettor in bettors)
        {
            var audit = await bettor.AuditAsync(cancellationToken).ConfigureAwait(false);
            var ackedIds = bettor.Placements.Where(p => p.Status == 201).Select(p => p.BetId!).ToList();
            acked += ackedIds.Count;
            var stored = audit.Bets.GroupBy(b => b.Id).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
            lost += ackedIds.Count(id => !stored.ContainsKey(id));
            // A bet stored twice, or stored without a 201 for its key (a retry that placed a second bet), is a duplicate.
            duplicated += stored.Values.Sum(n => n - 1) + stored.Keys.Count(id => !ackedIds.Contains(id));
            var void_ = audit.Bets.Where(b => b.Status == "void").ToList();
            voided += void_.Count;
            problems.AddRange(void_.Select(b => $"{audit.Wallet} bet {b.Id} voided: {b.Evidence}"));
            problems.AddRange(LedgerProblems(audit));
        }

        problems.InsertRange(0, [.. new[] { lost > 0 ? $"{lost} acknowledged bets lost" : null, duplicated > 0 ? $"{duplicated} bets duplicated" : null }.OfType<string>()]);
        var report = new FaultReport(fault, acked, lost, duplicated, voided, recovery, converged.Count == 0, problems, converged);
        _log(report.ToString());
        return report;
    }

    public void Dispose() => _web.Dispose();

    private static IEnumerable<string> LedgerProblems(WalletAudit audit)
    {
        var sum = audit.Ledger.Sum(l => l.Amount);
        if (sum != audit.Balance)
        {
            yield return $"{audit.Wallet}: balance {audit.Balance} but the ledger sums to {sum}";
        }

        if (audit.Ledger.MaxBy(l => l.Id) is { } newest && newest.BalanceAfter != audit.Balance)
        {
            yield return $"{audit.Wallet}: balance {audit.Balance} but the newest ledger entry says {newest.BalanceAfter}";
        }

        foreach (var bet in audit.Bets)
        {
            var entries = audit.Ledger.Where(l => l.BetId == bet.Id).Select(l => l.Kind).Order(StringComparer.Ordinal).ToList();
            string[] expected = bet.Status switch
            {
                "won" => ["payout", "stake"],
                "void" => ["refund", "stake"],
                _ => ["stake"],
            };
            if (!entries.SequenceEqual(expected))
            {
                yield return $"{audit.Wallet} bet {bet.Id} ({bet.Status}): ledger entries [{string.Join(", ", entries)}], expected [{string.Join(", ", expected)}]";
            }
        }
    }

    // Injects the fault and returns when it started and when the system had recovered from it: writes through the
    // services again for Redis master faults and Bets.Api, the killed process back (healthy, replicating) otherwise.
    private async Task<(long FaultAt, long Recovered)> InjectAsync(Fault fault, List<Bettor> bettors, WatchParty party, CancellationToken cancellationToken)
    {
        var (master, replica) = (await _redis.SettledAsync().ConfigureAwait(false))!.Value;
        var deadline = TimeSpan.FromSeconds(90);
        long faultAt;
        switch (fault)
        {
            case Fault.SentinelFailover:
                faultAt = Stopwatch.GetTimestamp();
                await _app.ForceFailoverAsync("redis", cancellationToken).ConfigureAwait(false);
                return (faultAt, await FirstWritesAfterAsync(bettors, party, faultAt, deadline, cancellationToken).ConfigureAwait(false));
            case Fault.MasterKilled:
                faultAt = Stopwatch.GetTimestamp();
                await _app.KillResourceAsync(master, cancellationToken).ConfigureAwait(false);
                return (faultAt, await FirstWritesAfterAsync(bettors, party, faultAt, deadline, cancellationToken).ConfigureAwait(false));
            case Fault.MasterFrozen:
                faultAt = Stopwatch.GetTimestamp();
                var frozen = await _app.FreezeResourceAsync(master, cancellationToken).ConfigureAwait(false);
                try
                {
                    await Eventually.UntilAsync(async () => await _redis.MasterAsync().ConfigureAwait(false) == replica,
                        $"the Sentinels to promote {replica} while {master} is frozen", cancellationToken, deadline).ConfigureAwait(false);
                }
                finally
                {
                    await ResourceProcessExtensions.ThawAsync(frozen, cancellationToken).ConfigureAwait(false);
                }

                _log(string.Create(CultureInfo.InvariantCulture, $"{master} frozen for {Stopwatch.GetElapsedTime(faultAt).TotalSeconds:0.0} s"));
                return (faultAt, await FirstWritesAfterAsync(bettors, party, faultAt, deadline, cancellationToken).ConfigureAwait(false));
            case Fault.RedisReplicaKilled:
                // Back is what a client sees, asked of the node itself: a new process replicating the master. The
                // dashboard learns of the new process later (DCP reported it Running 0.3–0.8 s after the replica
                // had synchronised), which used to be part of this measure.
                var before = await _redis.ProcessIdAsync(replica).ConfigureAwait(false);
                faultAt = Stopwatch.GetTimestamp();
                await _app.KillResourceAsync(replica, cancellationToken).ConfigureAwait(false);
                await Eventually.UntilAsync(async () =>
                    {
                        var pid = _redis.ProcessIdAsync(replica);
                        var replicating = _redis.ReplicatingAsync(replica, master);
                        return await pid.ConfigureAwait(false) is { } now && now != before && await replicating.ConfigureAwait(false);
                    }, $"{replica} to come back replicating {master}", cancellationToken, deadline).ConfigureAwait(false);
                return (faultAt, Stopwatch.GetTimestamp());
            case Fault.SyncReplicaKilled:
                var victim = _app.RunningInstances("sync-api")[0];
                faultAt = Stopwatch.GetTimestamp();
                await victim.KillInstanceAsync(cancellationToken).ConfigureAwait(false);
                using (var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(2) })
                {
                    await Eventually.UntilAsync(async () => _app.RunningInstances("sync-api") is { Count: 2 } running
                            && running.All(i => i.ProcessId != victim.ProcessId) && await HealthyAsync(probe, running).ConfigureAwait(false),
                        $"{victim.Id} to come back healthy", cancellationToken, deadline).ConfigureAwait(false);
                }

                return (faultAt, Stopwatch.GetTimestamp());
            case Fault.BetsApiKilled:
                faultAt = Stopwatch.GetTimestamp();
                await _app.KillResourceAsync("bets-api", cancellationToken).ConfigureAwait(false);
                return (faultAt, await FirstWritesAfterAsync(bettors, party, faultAt, deadline, cancellationToken).ConfigureAwait(false));
            default:
                throw new ArgumentOutOfRangeException(nameof(fault), fault, null);
        }
    }

    private static async Task<bool> HealthyAsync(HttpClient probe, IEnumerable<ResourceInstance> instances)
    {
        foreach (var instance in instances)
        {
            try
            {
                using var response = await probe.GetAsync(new Uri(instance.Url!, "health")).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                {
                    return false;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                return false;
            }
        }

        return true;
    }

    // When both services took a write again that was sent after faultAt: a new bet (not a replay) and a timeline command.
    private async Task<long> FirstWritesAfterAsync(List<Bettor> bettors, WatchParty party, long faultAt, TimeSpan timeout, CancellationToken cancellationToken)
    {
        long? bet = null, command = null;
        await Eventually.UntilAsync(() =>
        {
            bet ??= bettors.SelectMany(b => b.Placements).Where(p => p.Status == 201 && !p.Replayed && p.FinalAttemptSentAt >= faultAt)
                .Select(p => (long?)p.AnsweredAt).Min();
            command ??= party.Commands.Where(c => c.Ok && c.SentAt >= faultAt).Select(c => (long?)c.AnsweredAt).Min();
            return bet is not null && command is not null;
        }, "a write through both services since the fault", cancellationToken, timeout,
            () => $"bets: {bet is not null}, timeline: {command is not null}").ConfigureAwait(false);
        _log(string.Create(CultureInfo.InvariantCulture,
            $"first new bet after {Stopwatch.GetElapsedTime(faultAt, bet!.Value).TotalSeconds:0.00} s, first timeline command after {Stopwatch.GetElapsedTime(faultAt, command!.Value).TotalSeconds:0.00} s"));
        return Math.Max(bet.Value, command.Value);
    }

    private static Task WritesSucceedAsync(List<Bettor> bettors, WatchParty party, long since, int bets, int commands, string when, CancellationToken cancellationToken) =>
        Eventually.UntilAsync(
            () => bettors.SelectMany(b => b.Placements).Count(p => p.Status == 201 && p.FinalAttemptSentAt >= since) >= bets
                && party.Commands.Count(c => c.Ok && c.SentAt >= since) >= commands,
            $"the load to get {bets} bets and {commands} timeline commands through {when}",
            cancellationToken,
            TimeSpan.FromSeconds(90),
            () => "bets "
                + string.Join(", ", bettors.SelectMany(b => b.Placements).Where(p => p.FinalAttemptSentAt >= since).GroupBy(p => p.Status).Select(g => $"{g.Key?.ToString(CultureInfo.InvariantCulture) ?? "none"} x{g.Count()}"))
                + "; commands " + string.Join(", ", party.Commands.Where(c => c.SentAt >= since).GroupBy(c => c.Error ?? "ok").Select(g => $"{g.Key} x{g.Count()}")));
}
