using System.Buffers.Binary;
using System.IO.Compression;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Platform.Hosting.Dashboard.Security;

namespace Platform.Hosting.Dashboard.Otlp;

/// <summary>
/// OTLP/gRPC without a gRPC library: the gRPC-over-HTTP/2 protocol is small. A unary request body is one message
/// prefixed by a compressed flag (1 byte) and a big-endian length (4 bytes); the response is the same framing of an
/// empty Export*ServiceResponse followed by a <c>grpc-status</c> trailer. Kestrel serves HTTP/2 without TLS on this
/// endpoint (prior knowledge, as gRPC clients use on http:// addresses).
/// </summary>
internal static class OtlpGrpcEndpoints
{
    private const int Ok = 0;
    private const int InvalidArgument = 3;
    private const int ResourceExhausted = 8;
    private const int Unimplemented = 12;
    private const int Unauthenticated = 16;

    public static void MapOtlpGrpc(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/opentelemetry.proto.collector.trace.v1.TraceService/Export", context => HandleAsync(context, OtlpSignal.Traces));
        endpoints.MapPost("/opentelemetry.proto.collector.logs.v1.LogsService/Export", context => HandleAsync(context, OtlpSignal.Logs));
        endpoints.MapPost("/opentelemetry.proto.collector.metrics.v1.MetricsService/Export", context => HandleAsync(context, OtlpSignal.Metrics));
    }

    private static async Task HandleAsync(HttpContext context, OtlpSignal signal)
    {
        var ingest = context.RequestServices.GetRequiredService<OtlpIngest>();
        var auth = context.RequestServices.GetRequiredService<DashboardAuth>();
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/grpc";
        if (!(context.Request.ContentType ?? "").StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase))
        {
            context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return;
        }

        if (!auth.IsOtlpAuthorized(context))
        {
            ingest.LogUnauthorized(context.Connection.RemoteIpAddress?.ToString());
            await FinishAsync(context, Unauthenticated, "Missing or invalid x-otlp-api-key metadata.");
            return;
        }

        using var body = await OtlpIngest.ReadBodyAsync(context.Request.Body, gzip: false, context.RequestAborted);
        if (body is null)
        {
            await FinishAsync(context, ResourceExhausted, "The request is too large.");
            return;
        }

        var frame = body.Span;
        if (frame.Length < 5 || BinaryPrimitives.ReadUInt32BigEndian(frame[1..5]) != frame.Length - 5)
        {
            await FinishAsync(context, InvalidArgument, "The request is not one length-prefixed gRPC message.");
            return;
        }

        try
        {
            if (frame[0] == 0)
            {
                ingest.Ingest(signal, frame[5..]);
            }
            else if (context.Request.Headers["grpc-encoding"].ToString() == "gzip")
            {
                using var compressed = new MemoryStream(frame[5..].ToArray());
                using var inflated = await OtlpIngest.ReadBodyAsync(compressed, gzip: true, context.RequestAborted);
                if (inflated is null)
                {
                    await FinishAsync(context, ResourceExhausted, "The request is too large.");
                    return;
                }

                ingest.Ingest(signal, inflated.Span);
            }
            else
            {
                await FinishAsync(context, Unimplemented, "Only gzip message compression is supported.");
                return;
            }
        }
        catch (Exception e) when (e is OtlpFormatException or InvalidDataException)
        {
            ingest.LogMalformed(signal, e.Message);
            await FinishAsync(context, InvalidArgument, e.Message);
            return;
        }

        // One framed, empty response message.
        await context.Response.Body.WriteAsync(new byte[5], context.RequestAborted);
        await FinishAsync(context, Ok, null);
    }

    private static Task FinishAsync(HttpContext context, int status, string? message)
    {
        var trailers = context.Features.Get<IHttpResponseTrailersFeature>();
        if (trailers is null || !context.Response.SupportsTrailers())
        {
            // HTTP/1.1 cannot carry gRPC; answer in headers so the caller still learns why.
            context.Response.Headers["grpc-status"] = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (message is not null)
            {
                context.Response.Headers["grpc-message"] = Uri.EscapeDataString(message);
            }

            return Task.CompletedTask;
        }

        context.Response.AppendTrailer("grpc-status", status.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (message is not null)
        {
            context.Response.AppendTrailer("grpc-message", Uri.EscapeDataString(message));
        }

        return Task.CompletedTask;
    }
}
