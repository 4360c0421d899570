// ./platform bench faults [--only <Fault>]: the real AppHost through the testing builder, and the fault scenario of
// tests/Platform.FaultScenario once per fault (Sentinel failover, master kill, master frozen past down-after, Redis
// replica kill, Sync.Api replica kill, Bets.Api kill), each under the same bounded load: four wallets placing bets
// through web's proxy with Idempotency-Keys, five viewers in a room on both Sync.Api replicas. Recovery is from the
// fault until writes go through both services again (master faults) or until the killed Redis replica is back and
// replicating (replica kill).
using System.Globalization;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.FaultScenario;

var only = args.SkipWhile(a => a != "--only").Skip(1).Select(a => Enum.Parse<Fault>(a, ignoreCase: true)).ToList();
var faults = only.Count > 0 ? only : Enum.GetValues<Fault>().ToList();

var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>();
builder.WithPlatformTestDefaults(output: null);
// The AppHost's own log (health checks failing during each fault) would bury the figures.
builder.Services.AddLogging(logging => logging.ClearProviders());
await using var app = await builder.BuildAsync();
await app.StartAndWaitForHealthyAsync(TimeSpan.FromMinutes(3));

using var scenario = await FaultScenario.CreateAsync(app, line => Console.WriteLine("  " + line), CancellationToken.None);
var reports = new List<FaultReport>();
foreach (var fault in faults)
{
    Console.WriteLine($"fault {fault}");
    reports.Add(await scenario.RunAsync(fault, CancellationToken.None));
}

static string Seconds(IEnumerable<FaultReport> reports) =>
    reports.Any() ? reports.Max(r => r.RecoverySeconds).ToString("0.00", CultureInfo.InvariantCulture) : "n/a";

var masterKill = Seconds(reports.Where(r => r.Fault == Fault.MasterKilled));
var replicaKill = Seconds(reports.Where(r => r.Fault == Fault.RedisReplicaKilled));
Console.WriteLine("bars: lost 0, duplicated 0, voided 0, master_kill_recovery_s < 10, replica_kill_recovery_s < 2, sync_converged true");
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"faults acked={reports.Sum(r => r.Acked)} lost={reports.Sum(r => r.Lost)} duplicated={reports.Sum(r => r.Duplicated)} voided={reports.Sum(r => r.Voided)} master_kill_recovery_s={masterKill} replica_kill_recovery_s={replicaKill} sync_converged={(reports.All(r => r.Converged) ? "true" : "false")}"));
