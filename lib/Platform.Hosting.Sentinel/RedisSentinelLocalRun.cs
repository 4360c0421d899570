using System.Globalization;
using System.Security.Cryptography;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Platform.Hosting.LocalRun;

namespace Platform.Hosting.Sentinel;

/// <summary>
/// Run mode: every node and Sentinel is a local process from Debian's binaries at a free loopback port. Their
/// configuration files are written fresh for each run of the AppHost (ports change between runs) and kept while it
/// runs; a node started again meanwhile comes back in the role the Sentinels give it (<see cref="RedisNodeRestart"/>).
/// </summary>
internal static class RedisSentinelLocalRun
{
    public static void AddProcesses(IResourceBuilder<RedisSentinelResource> redis, int replicas, int sentinels)
    {
        var app = redis.ApplicationBuilder;
        var resource = redis.Resource;
        // Read when the processes start, not now: tests move the state folder after the AppHost's Program has run.
        string Folder() => Path.Combine(app.GetLocalStateDirectory(), "redis", resource.Name);
        string Configs() => Path.Combine(Folder(), "conf");

        var nodes = Enumerable.Range(0, replicas + 1).Select(i => AddProcess(app, $"{resource.Name}-{Index(i)}", "redis-server", Configs)).ToList();
        var watchers = Enumerable.Range(0, sentinels).Select(i => AddProcess(app, $"{resource.Name}-sentinel-{Index(i)}", "redis-sentinel", Configs)).ToList();
        nodes.ForEach(n => resource.AddNode(n.Resource));
        watchers.ForEach(s => resource.AddSentinel(s.Resource));
        redis.WithLocalProcesses([.. nodes, .. watchers]);
        RedisSentinelBuilderExtensions.AddHealthChecks(redis, nodes, watchers);

        app.Eventing.Subscribe<BeforeStartEvent>((_, _) =>
        {
            // Last run's ports are stale: configurations start over; data stays only with WithDataVolume.
            if (Directory.Exists(Configs()))
            {
                Directory.Delete(Configs(), recursive: true);
            }

            var run = Path.Combine(Folder(), "run");
            if (Directory.Exists(run))
            {
                Directory.Delete(run, recursive: true);
            }

            LocalState.EnsurePrivateDirectory(Folder());
            LocalState.EnsurePrivateDirectory(Configs());
            return Task.CompletedTask;
        });

        for (var i = 0; i < nodes.Count; i++)
        {
            var node = nodes[i];
            var replicaOf = i == 0 ? null : nodes[0].Resource;
            app.Eventing.Subscribe<BeforeResourceStartedEvent>(node.Resource, async (@event, cancellationToken) =>
            {
                var conf = ConfigFile(Configs(), node.Resource);
                if (File.Exists(conf))
                {
                    // Started again during this run: in the role the Sentinels give it, not the one its file last had.
                    await RedisNodeRestart.PrepareAsync(resource, node.Resource, conf, @event.Services, cancellationToken).ConfigureAwait(false);
                    return;
                }

                var data = LocalState.EnsurePrivateDirectory(Path.Combine(Folder(), resource.HasDataVolume ? "data" : "run", node.Resource.Name));
                var password = await resource.PasswordParameter.GetValueAsync(cancellationToken).ConfigureAwait(false) ?? string.Empty;
                var master = replicaOf is null ? null : $"127.0.0.1 {LocalEndpoint.Of(replicaOf).Port.ToString(CultureInfo.InvariantCulture)}";
                var text = RedisConfig.Node(resource.Settings, Loopback, LocalEndpoint.Of(node.Resource).Port, data, password, master);
                await LocalState.WritePrivateFileAsync(conf, text, cancellationToken).ConfigureAwait(false);
            });
        }

        // A Sentinel's id is 40 hex digits; each run's configuration files name the others by theirs.
        var ids = watchers.ToDictionary(w => w.Resource.Name, _ => RandomNumberGenerator.GetHexString(40, lowercase: true));
        foreach (var sentinel in watchers)
        {
            app.Eventing.Subscribe<BeforeResourceStartedEvent>(sentinel.Resource, async (_, cancellationToken) =>
            {
                var conf = ConfigFile(Configs(), sentinel.Resource);
                if (File.Exists(conf))
                {
                    return;
                }

                var password = await resource.PasswordParameter.GetValueAsync(cancellationToken).ConfigureAwait(false) ?? string.Empty;
                var master = Address(nodes[0].Resource);
                var known = RedisConfig.KnownTopology(ids[sentinel.Resource.Name],
                    nodes.Skip(1).Select(n => Address(n.Resource)),
                    watchers.Where(w => w != sentinel).Select(w => (Address(w.Resource), ids[w.Resource.Name])));
                var text = RedisConfig.Sentinel(resource.Settings, Loopback, LocalEndpoint.Of(sentinel.Resource).Port, Configs(), password, master, resource.Quorum) + known;
                await LocalState.WritePrivateFileAsync(conf, text, cancellationToken).ConfigureAwait(false);
            });
        }
    }

    // IPv6 loopback too when the machine has it ("-": optional), since clients may resolve localhost to ::1 first.
    private const string Loopback = "127.0.0.1 -::1";

    private static string Address(IResourceWithEndpoints process) =>
        $"127.0.0.1 {LocalEndpoint.Of(process).Port.ToString(CultureInfo.InvariantCulture)}";

    private static string Index(int i) => i.ToString(CultureInfo.InvariantCulture);

    private static string ConfigFile(string configs, IResource process) => Path.Combine(configs, process.Name + ".conf");

    // Redis and Sentinel rewrite their configuration file (CONFIG REWRITE, a failover) with the process's umask; the
    // file holds the password, so the shell sets an owner-only umask and then becomes the server (exec: same pid,
    // DCP's signals reach it).
    private static IResourceBuilder<ExecutableResource> AddProcess(IDistributedApplicationBuilder app, string name, string program, Func<string> configs) =>
        app.AddExecutable(name, "/bin/sh", app.AppHostDirectory, "-c", "umask 077 && exec \"$0\" \"$@\"", DebianBinaries.Find(program, program))
            .WithEndpoint(name: RedisSentinelResource.EndpointName, scheme: "tcp", isProxied: false)
            .WithIconName("Database")
            .WithRestartOnCrash()
            .WithArgs(context => context.Args.Add(Path.Combine(configs(), name + ".conf")));
}
