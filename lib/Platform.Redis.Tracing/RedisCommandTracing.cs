using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Trace;
using StackExchange.Redis;
using StackExchange.Redis.Profiling;

namespace Platform.Redis.Tracing;

/// <summary>
/// Client spans for the Redis commands of recorded traces only, in place of Aspire's Redis tracing: the same
/// activity source, span names and attributes, but a command is profiled only when <see cref="Activity.Current"/> is
/// a recorded span. Aspire's instrumentation profiles every command: one with no current span is kept in a default
/// session and exported as a root trace of its own, one under an unrecorded span (<c>UntracedWork</c>, health probes)
/// is profiled and then dropped by the sampler, and all of them wait up to 10 s for the drain. In the Redis bench
/// that was half of the client's CPU (the profiler's drain and the GC of ten seconds of retained commands).
/// </summary>
/// <remarks>
/// StackExchange.Redis adds a command to its session when the command completes. A span's session is drained into
/// spans as the span ends (an OpenTelemetry processor calls <see cref="SpanEnded"/>), while the commands are still
/// young: held until a periodic drain, a second of commands under load outlived gen0 and made each gen0 collection
/// several times longer. Every <see cref="RedisTracingOptions.DrainInterval"/> the sessions of spans still running are
/// drained, and those of ended spans at the next two ticks (a command still in flight as its span ended, fire-and-forget
/// work that kept the request's context, has at least one whole interval to complete), then dropped.
/// </remarks>
public sealed partial class RedisCommandTracing(IConnectionMultiplexer redis, RedisTracingOptions options, ILogger<RedisCommandTracing> logger)
    : BackgroundService
{
    /// <summary>Aspire's (OpenTelemetry.Instrumentation.StackExchangeRedis): the dashboard and filters keep working.</summary>
    public const string SourceName = "OpenTelemetry.Instrumentation.StackExchangeRedis";

    private static readonly ActivitySource Source = new(SourceName);
    private static readonly KeyValuePair<string, object?>[] CreationTags = [new("db.system", "redis")];
    private readonly ConcurrentDictionary<(ActivityTraceId, ActivitySpanId), (Activity Span, ProfilingSession Session)> _sessions = new();
    // Only the parent's context, not the span: an ended span and its tags must not outlive gen0 for this.
    private readonly ConcurrentQueue<(ActivityContext Parent, ProfilingSession Session)> _ended = new();
    // Ended at least one tick ago: drained a last time at the next tick, so a command in flight as its span ended has
    // a whole interval to complete. Touched by Drain only.
    private readonly List<(ActivityContext Parent, ProfilingSession Session)> _lastChance = [];

    /// <inheritdoc />
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        redis.RegisterProfiler(SessionOfCurrentSpan);
        return base.StartAsync(cancellationToken);
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.DrainInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    Drain();
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A span that cannot be made must not stop the service (a failed BackgroundService stops the host).
                    LogDrainFailed(logger, e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <inheritdoc />
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        redis.RegisterProfiler(() => null);
        Drain();
    }

    /// <summary>Called by StackExchange.Redis as each command is created: null means the command is not profiled.</summary>
    private ProfilingSession? SessionOfCurrentSpan()
    {
        if (Activity.Current is not { Recorded: true } span || !Source.HasListeners())
        {
            return null;
        }

        return _sessions.GetOrAdd((span.TraceId, span.SpanId), static (_, s) => (s, new ProfilingSession()), span).Session;
    }

    /// <summary>The span has ended: its commands become spans now, and its session waits for one more drain.</summary>
    internal void SpanEnded(Activity span)
    {
        if (!_sessions.TryRemove((span.TraceId, span.SpanId), out var entry))
        {
            return;
        }

        _ended.Enqueue((span.Context, entry.Session));
        try
        {
            Export(span.Context, entry.Session);
        }
        catch (Exception e)
        {
            // This runs inside the span's Stop(), on the request's thread: the request must not fail for its spans.
            LogDrainFailed(logger, e);
        }
    }

    /// <summary>Turns every completed command into a span under the span it ran in.</summary>
    private void Drain()
    {
        foreach (var (parent, session) in _lastChance)
        {
            Export(parent, session);
        }

        _lastChance.Clear();
        while (_ended.TryDequeue(out var ended))
        {
            Export(ended.Parent, ended.Session);
            _lastChance.Add(ended);
        }

        foreach (var (key, (span, session)) in _sessions)
        {
            // A span whose end no processor saw (another listener recorded it): read before draining, so a command
            // completing after this read belongs to the next drain.
            if (span.Duration != TimeSpan.Zero && _sessions.TryRemove(key, out _))
            {
                _ended.Enqueue((span.Context, session));
            }

            Export(span.Context, session);
        }
    }

    private static void Export(ActivityContext parent, ProfilingSession session)
    {
        foreach (var command in session.FinishProfiling())
        {
            Export(parent, command);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis command spans could not be made; the next drain tries again")]
    private static partial void LogDrainFailed(ILogger logger, Exception exception);

    private static void Export(ActivityContext parent, IProfiledCommand command)
    {
        var created = new DateTimeOffset(command.CommandCreated);
        using var span = Source.StartActivity(command.Command ?? "redis", ActivityKind.Client, parent, CreationTags, startTime: created);
        if (span is null)
        {
            return;
        }

        span.SetEndTime(command.CommandCreated + command.ElapsedTime);
        if (!span.IsAllDataRequested)
        {
            return;
        }

        span.SetTag("db.statement", command.Command);
        span.SetTag("db.redis.flags", command.Flags.ToString());
        span.SetTag("db.redis.database_index", command.Db);
        switch (command.EndPoint)
        {
            case IPEndPoint ip:
                span.SetTag("net.peer.ip", ip.Address.ToString());
                span.SetTag("net.peer.port", ip.Port);
                break;
            case DnsEndPoint dns:
                span.SetTag("net.peer.name", dns.Host);
                span.SetTag("net.peer.port", dns.Port);
                break;
            case { } other:
                span.SetTag("peer.service", other.ToString());
                break;
        }

        var enqueued = created + command.CreationToEnqueued;
        var sent = enqueued + command.EnqueuedToSending;
        span.AddEvent(new ActivityEvent("Enqueued", enqueued));
        span.AddEvent(new ActivityEvent("Sent", sent));
        span.AddEvent(new ActivityEvent("ResponseReceived", sent + command.SentToResponse));
    }
}

/// <summary>Options of <see cref="RedisCommandTracing"/>.</summary>
public sealed class RedisTracingOptions
{
    /// <summary>How often completed commands become spans (Aspire's instrumentation: every 10 s).</summary>
    public TimeSpan DrainInterval { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>Registration.</summary>
public static class RedisTracingExtensions
{
    /// <summary>
    /// Aspire's <c>AddRedisClient</c> (the multiplexer, its health check, its configuration) with Aspire's Redis tracing
    /// replaced by <see cref="RedisCommandTracing"/>: spans for the commands of recorded traces, nothing for the rest.
    /// </summary>
    public static IHostApplicationBuilder AddRedisClientTracedInRequests(
        this IHostApplicationBuilder builder, string connectionName, Action<ConfigurationOptions>? configureOptions = null,
        Action<RedisTracingOptions>? configureTracing = null)
    {
        var options = new RedisTracingOptions();
        configureTracing?.Invoke(options);
        builder.AddRedisClient(connectionName, settings => settings.DisableTracing = true, configureOptions);
        builder.Services.AddSingleton(sp => new RedisCommandTracing(
            sp.GetRequiredService<IConnectionMultiplexer>(), options, sp.GetRequiredService<ILogger<RedisCommandTracing>>()));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RedisCommandTracing>());
        builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing
            .AddSource(RedisCommandTracing.SourceName)
            .AddProcessor(sp => new DrainOnSpanEnd(sp.GetRequiredService<RedisCommandTracing>())));
        return builder;
    }

    /// <summary>Hands every ended span to <see cref="RedisCommandTracing"/>, which drains its commands at once.</summary>
    private sealed class DrainOnSpanEnd(RedisCommandTracing tracing) : BaseProcessor<Activity>
    {
        public override void OnEnd(Activity data) => tracing.SpanEnded(data);
    }
}
