using System.Net;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Platform.Hosting.Sentinel;

/// <summary>
/// The role a node comes back in when it starts again during a run (a crash restarted by <c>WithRestartOnCrash</c>, the
/// dashboard's start or restart): the one the Sentinels give it, never one of its own.
/// </summary>
/// <remarks>
/// Redis starts in whatever role its configuration file names, and Sentinel corrects a wrong one late: a dead master
/// only after down-after, a node that answers as a master it no longer is about 10 s after it is back. A master
/// restarted within a second of dying (before down-after) reloaded its AOF, whose last second may be missing
/// (<c>appendfsync everysec</c>), stayed master, and its replica resynchronised from it: writes the replica had
/// acknowledged (WAIT) were lost. So, before the process starts:
/// <list type="bullet">
/// <item>the Sentinels name another node as master: this node starts as its replica;</item>
/// <item>they name this node, which was master and whose process has exited: they are asked to promote its replica now
/// (SENTINEL FAILOVER: the exit is certain, down-after would only confirm it), and this node starts as the new
/// master's replica, taking the promoted copy;</item>
/// <item>nothing can be promoted (a single node; no other node answers with a copy it synchronised), or nothing was
/// promoted within twice down-after (by then Sentinel would have failed over by itself if it could): it starts as the
/// master it was, with its own data;</item>
/// <item>no Sentinel answers: it follows another node that answers as master, else keeps its file.</item>
/// </list>
/// </remarks>
internal static partial class RedisNodeRestart
{
    public static async Task PrepareAsync(RedisSentinelResource redis, IResourceWithEndpoints node, string conf, IServiceProvider services,
        CancellationToken cancellationToken)
    {
        var probe = services.GetRequiredService<RedisProbe>();
        var logger = services.GetRequiredService<ResourceLoggerService>().GetLogger(node);
        var self = LocalEndpoint.Of(node);
        var master = await RedisTopology.MasterAsync(redis, probe, cancellationToken).ConfigureAwait(false);
        EndPoint? replicaOf;
        if (master is null)
        {
            replicaOf = await RedisTopology.AnyNodeAnsweringAsMasterAsync(redis, probe, self, cancellationToken).ConfigureAwait(false);
            if (replicaOf is null)
            {
                Log.NoSentinel(logger);
                return;
            }

            Log.NoSentinelFollowing(logger, replicaOf);
        }
        else if (!RedisTopology.IsNode(master, self))
        {
            replicaOf = master;
            Log.Following(logger, master);
        }
        else if (redis.Nodes.Count == 1)
        {
            // The only node is the master whatever happens.
            return;
        }
        else
        {
            var bound = redis.Settings.DownAfter * 2;
            Log.AskingForPromotion(logger);
            replicaOf = await RedisTopology.PromoteInPlaceOfAsync(redis, probe, self, bound, cancellationToken).ConfigureAwait(false);
            if (replicaOf is null)
            {
                Log.StartingAsMaster(logger, bound.TotalSeconds);
            }
            else
            {
                Log.Promoted(logger, replicaOf);
            }
        }

        var text = await File.ReadAllTextAsync(conf, cancellationToken).ConfigureAwait(false);
        var address = replicaOf is null ? null : RedisTopology.ConfAddress(replicaOf);
        await LocalState.WritePrivateFileAsync(conf, RedisConfig.WithReplicaOf(text, address), cancellationToken).ConfigureAwait(false);
        if (address?.Split(' ') is [var host, var port])
        {
            // Not awaited: the process starts once this handler returns.
            var password = await redis.PasswordParameter.GetValueAsync(cancellationToken).ConfigureAwait(false) ?? string.Empty;
            _ = Task.Run(() => ReplicaKickStart.RunAsync(self, password, host, port, CancellationToken.None), CancellationToken.None);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Starting again as a replica of {Master}, the master the Sentinels name.")]
        public static partial void Following(ILogger logger, EndPoint master);

        [LoggerMessage(Level = LogLevel.Warning, Message = "This node was the master and its process exited: asking the Sentinels to promote its replica before it starts again.")]
        public static partial void AskingForPromotion(ILogger logger);

        [LoggerMessage(Level = LogLevel.Warning, Message = "The Sentinels promoted {Master}: starting again as its replica.")]
        public static partial void Promoted(ILogger logger, EndPoint master);

        [LoggerMessage(Level = LogLevel.Warning, Message = "No replica could be promoted within {Seconds:0.#} s: starting again as the master, with this node's own data.")]
        public static partial void StartingAsMaster(ILogger logger, double seconds);

        [LoggerMessage(Level = LogLevel.Warning, Message = "No Sentinel answers: starting again as a replica of {Master}, the node that answers as master.")]
        public static partial void NoSentinelFollowing(ILogger logger, EndPoint master);

        [LoggerMessage(Level = LogLevel.Warning, Message = "No Sentinel answers and no other node answers as master: starting again in the role of its configuration file.")]
        public static partial void NoSentinel(ILogger logger);
    }
}
