using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

/// <summary>Section <c>RequestLimits</c>: the request body size every endpoint accepts unless it says otherwise.</summary>
public sealed class RequestBodyLimitOptions
{
    public const string Section = "RequestLimits";

    /// <summary>The JSON APIs take a few hundred bytes per request; 16 KB leaves room for a long sign-in message.</summary>
    [Range(1024, 8 * 1024 * 1024)]
    public long MaxBodyBytes { get; set; } = 16 * 1024;
}

/// <summary>
/// Request bodies limited per endpoint and refused with 413 problem details before they are read. Kestrel's own limit is
/// the default for every request (so nothing, routed or not, reads more); an endpoint that needs more says so with
/// <see cref="WithRequestBodyLimit{TBuilder}"/>, which routing applies (<see cref="IRequestSizeLimitMetadata"/>) before
/// any middleware runs. A declared Content-Length over the limit is answered at once, ahead of authentication, so an
/// anonymous client cannot make the server take in its body; a chunked body is cut off by Kestrel at the limit.
/// </summary>
public static partial class RequestBodyLimits
{
    public static TBuilder AddRequestBodyLimits<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddOptions<RequestBodyLimitOptions>().BindConfiguration(RequestBodyLimitOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<RequestBodyLimitOptions>>((kestrel, limits) =>
            kestrel.Limits.MaxRequestBodySize = limits.Value.MaxBodyBytes);
        builder.Services.Configure<ProblemDetailsOptions>(o =>
        {
            var earlier = o.CustomizeProblemDetails;
            o.CustomizeProblemDetails = problem =>
            {
                earlier?.Invoke(problem);
                Describe(problem);
            };
        });
        return builder;
    }

    /// <summary>Raises (or lowers) this endpoint's limit above the default.</summary>
    public static TBuilder WithRequestBodyLimit<TBuilder>(this TBuilder builder, long maxBytes) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new BodyLimit(maxBytes));

    /// <summary>After routing (which set the endpoint's limit), before authentication.</summary>
    public static IApplicationBuilder UseRequestBodyLimits(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize is { } limit
            && context.Request.ContentLength is { } length && length > limit)
        {
            var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RequestBodyLimits));
            LogRefused(logger, context.Request.Method, context.Request.Path, length, limit);
            // Kestrel would otherwise read and discard the unread body after the response to keep the connection.
            context.Response.Headers.Connection = "close";
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            await context.RequestServices.GetRequiredService<IProblemDetailsService>()
                .WriteAsync(new ProblemDetailsContext { HttpContext = context });
            return;
        }

        await next(context);
    });

    /// <summary>Every 413 in the user's words, whoever writes it: the early refusal above, or the status code pages
    /// after Kestrel cut a chunked body off at the limit while an endpoint read it.</summary>
    private static void Describe(ProblemDetailsContext problem)
    {
        if (problem.ProblemDetails.Status != StatusCodes.Status413PayloadTooLarge)
        {
            return;
        }

        var request = problem.HttpContext.Request;
        var most = problem.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize is { } limit ? Size(limit) : "its limit";
        problem.ProblemDetails.Title = "Request body too large";
        problem.ProblemDetails.Detail = request.ContentLength is { } n
            ? $"The body is {Size(n)}; this request accepts at most {most}."
            : $"The body is longer than this request accepts ({most} at most).";
    }

    private static string Size(long bytes) => bytes >= 1024 * 1024
        ? string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.#} MB")
        : bytes >= 1024 ? string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KB") : $"{bytes} bytes";

    [LoggerMessage(Level = LogLevel.Information, Message = "Refused {Method} {Path}: body of {Length} bytes over the limit of {Limit}")]
    private static partial void LogRefused(ILogger logger, string method, string path, long? length, long? limit);

    private sealed class BodyLimit(long maxBytes) : IRequestSizeLimitMetadata
    {
        public long? MaxRequestBodySize => maxBytes;
    }
}
