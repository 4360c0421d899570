using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace Platform.ServiceDefaults;

/// <summary>Options of the default HTTP pipeline; bound from <c>HttpResilience</c> and per client name.</summary>
public sealed class HttpResilienceOptions
{
    public TimeSpan TotalRequestTimeout { get; set; } = TimeSpan.FromSeconds(30);
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);
    public int MaxRetryAttempts { get; set; } = 3;
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);
    public double CircuitBreakerFailureRatio { get; set; } = 0.5;
    public int CircuitBreakerMinimumThroughput { get; set; } = 20;
    public TimeSpan CircuitBreakerSamplingDuration { get; set; } = TimeSpan.FromSeconds(30);
    public TimeSpan CircuitBreakerBreakDuration { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// Timeout, jittered exponential retry for transient failures only (connection errors, attempt timeouts, 408, 429,
/// 5xx), a circuit breaker, and a per-attempt timeout, built on Polly.Core. Requests that are not idempotent
/// (POST, PATCH) are retried only when they carry an <c>Idempotency-Key</c> header: a retry must not place a bet twice.
/// </summary>
public sealed class ResilienceHandler(ResiliencePipeline<HttpResponseMessage> pipeline) : DelegatingHandler
{
    internal static readonly ResiliencePropertyKey<HttpRequestMessage> RequestKey = new("request");

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(RequestKey, request);
        try
        {
            var outcome = await pipeline.ExecuteOutcomeAsync(
                static async (ctx, state) =>
                {
                    try
                    {
                        return Outcome.FromResult(await state.Self.SendCoreAsync(state.Request, ctx.CancellationToken).ConfigureAwait(false));
                    }
                    catch (Exception ex)
                    {
                        return Outcome.FromException<HttpResponseMessage>(ex);
                    }
                },
                context,
                (Self: this, Request: request)).ConfigureAwait(false);
            outcome.ThrowIfException();
            return outcome.Result!;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private Task<HttpResponseMessage> SendCoreAsync(HttpRequestMessage request, CancellationToken ct) => base.SendAsync(request, ct);

    internal static bool IsTransient(Outcome<HttpResponseMessage> outcome) => outcome switch
    {
        { Exception: HttpRequestException or TimeoutRejectedException } => true,
        { Result: { } response } => response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests
            || (int)response.StatusCode >= 500,
        _ => false,
    };

    internal static bool MayRetry(HttpRequestMessage request) =>
        request.Method == HttpMethod.Get || request.Method == HttpMethod.Head || request.Method == HttpMethod.Options ||
        request.Method == HttpMethod.Put || request.Method == HttpMethod.Delete || request.Method == HttpMethod.Trace ||
        request.Headers.Contains("Idempotency-Key");
}

/// <summary>One pipeline per client name, kept for the process so circuit state survives handler rotation.</summary>
internal sealed class ResiliencePipelines(IOptionsMonitor<HttpResilienceOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, ResiliencePipeline<HttpResponseMessage>> _pipelines = new();

    public ResiliencePipeline<HttpResponseMessage> Get(string clientName) =>
        _pipelines.GetOrAdd(clientName, name => Build(options.Get(name), time));

    internal static ResiliencePipeline<HttpResponseMessage> Build(HttpResilienceOptions o, TimeProvider time)
    {
        var transient = new PredicateBuilder<HttpResponseMessage>().HandleResult(_ => false);
        return new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = time }
            .AddTimeout(o.TotalRequestTimeout)
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = o.MaxRetryAttempts,
                Delay = o.RetryBaseDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = args => ValueTask.FromResult(
                    ResilienceHandler.IsTransient(args.Outcome) &&
                    args.Context.Properties.TryGetValue(ResilienceHandler.RequestKey, out var request) &&
                    ResilienceHandler.MayRetry(request)),
                OnRetry = args =>
                {
                    args.Outcome.Result?.Dispose();
                    return default;
                },
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage>
            {
                FailureRatio = o.CircuitBreakerFailureRatio,
                MinimumThroughput = o.CircuitBreakerMinimumThroughput,
                SamplingDuration = o.CircuitBreakerSamplingDuration,
                BreakDuration = o.CircuitBreakerBreakDuration,
                ShouldHandle = args => ValueTask.FromResult(ResilienceHandler.IsTransient(args.Outcome)),
            })
            .AddTimeout(o.AttemptTimeout)
            .Build();
    }
}

/// <summary>Binds <c>HttpResilience</c>, then <c>HttpResilience:{clientName}</c> over it, for every client name.</summary>
internal sealed class BindResilienceOptions(IConfiguration configuration) : IConfigureNamedOptions<HttpResilienceOptions>
{
    public void Configure(HttpResilienceOptions options) => Configure(Options.DefaultName, options);

    public void Configure(string? name, HttpResilienceOptions options)
    {
        configuration.GetSection("HttpResilience").Bind(options);
        if (!string.IsNullOrEmpty(name))
        {
            configuration.GetSection($"HttpResilience:{name}").Bind(options);
        }
    }
}

public static class ResilienceExtensions
{
    /// <summary>Adds the default pipeline; settings come from <c>HttpResilience</c> and <c>HttpResilience:{clientName}</c>.</summary>
    public static IHttpClientBuilder AddStandardResilienceHandler(this IHttpClientBuilder builder)
    {
        builder.Services.TryAddSingleton<ResiliencePipelines>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddEnumerable(
            ServiceDescriptor.Singleton<IConfigureOptions<HttpResilienceOptions>, BindResilienceOptions>());
#pragma warning disable CS0618 // The handler builder is the one hook that knows the client's name under ConfigureHttpClientDefaults.
        return builder.ConfigureHttpMessageHandlerBuilder(handlers => handlers.AdditionalHandlers.Add(
            new ResilienceHandler(handlers.Services.GetRequiredService<ResiliencePipelines>().Get(handlers.Name ?? Options.DefaultName))));
#pragma warning restore CS0618
    }
}
