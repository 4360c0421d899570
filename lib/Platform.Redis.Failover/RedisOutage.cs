using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Platform.Redis.Failover;

/// <summary>How a service answers while Redis is out of reach (section "RedisOutage").</summary>
public sealed class RedisOutageOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "RedisOutage";

    /// <summary>The <c>Retry-After</c> given to refused requests, and how often Redis is asked again while it is out.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The problem type of the 503 (RFC 9457); the service's own vocabulary.</summary>
    [Required]
    public string ProblemType { get; set; } = "https://platform.local/problems/unavailable";

    /// <summary>The problem title of the 503.</summary>
    [Required]
    public string ProblemTitle { get; set; } = "Temporarily unavailable";

    /// <summary>Extra members of the problem (a service's machine-readable <c>code</c>, say).</summary>
    public IDictionary<string, object?> Extensions { get; } = new Dictionary<string, object?>();
}

/// <summary>
/// A small breaker over the service's <see cref="IConnectionMultiplexer"/>: open while no master is connected (the
/// multiplexer's connection-failed events), or once a request met an outage (unreachable, timed out, READONLY,
/// MASTERDOWN, LOADING, NOREPLICAS); closed when a PING to the master answers again, asked every
/// <see cref="RedisOutageOptions.RetryAfter"/>. While it is open, requests that need Redis get a 503 with Retry-After at
/// once instead of each waiting out the client's timeout. An outage is logged as one Warning when it starts and one
/// with the number of refused requests when it ends, never once per request.
/// </summary>
public sealed partial class RedisOutage(
    IConnectionMultiplexer redis, IProblemDetailsService problems, IOptions<RedisOutageOptions> options, TimeProvider time, ILogger<RedisOutage> logger)
    : BackgroundService
{
    private readonly RedisOutageOptions _options = options.Value;
    private int _open;
    private long _since;
    private long _refused;

    /// <summary>How long a refused client should wait before it tries again.</summary>
    public TimeSpan RetryAfter => _options.RetryAfter;

    /// <summary>Whether requests that need Redis are refused right now.</summary>
    public bool IsOpen => Volatile.Read(ref _open) == 1;

    /// <summary>Unreachable, too slow, or a server that is not (or not yet) a writable master: a failover is under way and the command was not executed.</summary>
    public static bool IsOutage(Exception e) => e is RedisConnectionException or RedisTimeoutException
        || (e is RedisServerException && (e.Message.StartsWith("READONLY", StringComparison.Ordinal)
            || e.Message.StartsWith("MASTERDOWN", StringComparison.Ordinal) || e.Message.StartsWith("LOADING", StringComparison.Ordinal)
            || e.Message.StartsWith("NOREPLICAS", StringComparison.Ordinal)));

    /// <summary>Opens the breaker (once per outage: the first caller logs it).</summary>
    public void Trip(string reason)
    {
        if (Interlocked.CompareExchange(ref _open, 1, 0) != 0)
        {
            return;
        }

        Volatile.Write(ref _since, time.GetTimestamp());
        Interlocked.Exchange(ref _refused, 0);
        LogOutageStarted(logger, reason);
    }

    /// <summary>Counts a request refused because Redis is out, for the end-of-outage log (<see cref="RefuseAsync"/> does it for HTTP).</summary>
    public void Refused() => Interlocked.Increment(ref _refused);

    /// <summary>Answers a request that needs Redis while it is out: 503, Retry-After, a problem detail; counted for the end-of-outage log.</summary>
    public async ValueTask<bool> RefuseAsync(HttpContext context, Exception? exception = null)
    {
        Refused();
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(_options.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var problem = new ProblemDetails
        {
            Status = StatusCodes.Status503ServiceUnavailable,
            Type = _options.ProblemType,
            Title = _options.ProblemTitle,
            Detail = "Redis is unavailable; retry shortly.",
        };
        foreach (var (key, value) in _options.Extensions)
        {
            problem.Extensions[key] = value;
        }

        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, Exception = exception, ProblemDetails = problem }).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionFailed += OnConnectionFailed;
        return base.StartAsync(cancellationToken);
    }

    /// <inheritdoc />
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionFailed -= OnConnectionFailed;
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.RetryAfter, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                if (!IsOpen)
                {
                    // Never connected at all (started while Redis was down): no connection ever failed to say so.
                    if (!redis.IsConnected)
                    {
                        Trip("not connected");
                    }

                    continue;
                }

                await ProbeAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task ProbeAsync(CancellationToken stoppingToken)
    {
        try
        {
            await redis.GetDatabase().PingAsync(CommandFlags.DemandMaster).WaitAsync(_options.RetryAfter, time, stoppingToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException or OperationCanceledException)
        {
            // Still out (or the service is stopping): ask again on the next tick.
            return;
        }

        if (Interlocked.CompareExchange(ref _open, 0, 1) == 1)
        {
            LogOutageEnded(logger, time.GetElapsedTime(Volatile.Read(ref _since)).TotalSeconds, Interlocked.Read(ref _refused));
        }
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        // A replica's connection failing leaves the service working; only a lost master is an outage.
        if (e.ConnectionType == ConnectionType.Interactive && !redis.GetServers().Any(s => s.IsConnected && !s.IsReplica))
        {
            Trip($"{e.FailureType} on {e.EndPoint}");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis is unavailable ({Reason}): requests that need it are refused with 503 until it answers again")]
    private static partial void LogOutageStarted(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis answers again after {Seconds:0.0} s unavailable; {Refused} requests were refused with 503 meanwhile")]
    private static partial void LogOutageEnded(ILogger logger, double seconds, long refused);
}

/// <summary>A request that met a Redis outage anyway (the first one, or a server that hangs): 503, and the breaker opens.</summary>
internal sealed class RedisOutageExceptionHandler(RedisOutage outage) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (!RedisOutage.IsOutage(exception) || context.Response.HasStarted)
        {
            return false;
        }

        outage.Trip(exception.GetType().Name + ": " + exception.Message);
        return await outage.RefuseAsync(context, exception).ConfigureAwait(false);
    }
}

/// <summary>Marks an endpoint that cannot answer without Redis.</summary>
public sealed class RequiresRedisMetadata
{
    internal static readonly RequiresRedisMetadata Instance = new();

    private RequiresRedisMetadata()
    {
    }
}

/// <summary>Registration and the request gate.</summary>
public static class RedisOutageExtensions
{
    /// <summary>Adds <see cref="RedisOutage"/> and its exception handler (Redis outage exceptions become 503s).</summary>
    public static IServiceCollection AddRedisOutageBreaker(this IServiceCollection services, Action<RedisOutageOptions>? configure = null)
    {
        var options = services.AddOptions<RedisOutageOptions>().BindConfiguration(RedisOutageOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.AddSingleton<RedisOutage>();
        services.AddHostedService(sp => sp.GetRequiredService<RedisOutage>());
        services.AddExceptionHandler<RedisOutageExceptionHandler>();
        return services;
    }

    /// <summary>Marks endpoints that cannot answer without Redis: while it is out they get a 503 at once.</summary>
    public static TBuilder RequireRedis<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(RequiresRedisMetadata.Instance);

    /// <summary>
    /// Refuses requests to endpoints marked <see cref="RequireRedis{TBuilder}"/> while <see cref="RedisOutage"/> is open.
    /// Goes before authentication, which reads sessions from Redis.
    /// </summary>
    public static IApplicationBuilder UseRedisOutageGate(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var outage = context.RequestServices.GetRequiredService<RedisOutage>();
        if (outage.IsOpen && context.GetEndpoint()?.Metadata.GetMetadata<RequiresRedisMetadata>() is not null)
        {
            await outage.RefuseAsync(context).ConfigureAwait(false);
            return;
        }

        await next(context).ConfigureAwait(false);
    });
}
