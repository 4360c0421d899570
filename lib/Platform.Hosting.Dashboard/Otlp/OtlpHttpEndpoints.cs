using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Platform.Hosting.Dashboard.Security;

namespace Platform.Hosting.Dashboard.Otlp;

/// <summary>
/// OTLP/HTTP (OTLP specification, "OTLP/HTTP"): POST /v1/traces, /v1/logs, /v1/metrics with a binary protobuf body.
/// Success is 200 with an empty Export*ServiceResponse; a malformed body is 400 and an unknown content type 415, both
/// with a protobuf google.rpc.Status body as the specification requires.
/// </summary>
internal static class OtlpHttpEndpoints
{
    public const string ProtobufContentType = "application/x-protobuf";

    public static void MapOtlpHttp(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/v1/traces", context => HandleAsync(context, OtlpSignal.Traces));
        endpoints.MapPost("/v1/logs", context => HandleAsync(context, OtlpSignal.Logs));
        endpoints.MapPost("/v1/metrics", context => HandleAsync(context, OtlpSignal.Metrics));
    }

    private static async Task HandleAsync(HttpContext context, OtlpSignal signal)
    {
        var ingest = context.RequestServices.GetRequiredService<OtlpIngest>();
        var auth = context.RequestServices.GetRequiredService<DashboardAuth>();
        if (!auth.IsOtlpAuthorized(context))
        {
            ingest.LogUnauthorized(context.Connection.RemoteIpAddress?.ToString());
            await WriteStatusAsync(context, StatusCodes.Status401Unauthorized, 16, "Missing or invalid x-otlp-api-key header.");
            return;
        }

        var mediaType = (context.Request.ContentType ?? "").Split(';')[0].Trim();
        if (!string.Equals(mediaType, ProtobufContentType, StringComparison.OrdinalIgnoreCase))
        {
            await WriteStatusAsync(context, StatusCodes.Status415UnsupportedMediaType, 3,
                $"Content-Type '{mediaType}' is not supported; send {ProtobufContentType}.");
            return;
        }

        var encoding = context.Request.Headers.ContentEncoding.ToString();
        if (encoding.Length > 0 && !encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase) && !encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            await WriteStatusAsync(context, StatusCodes.Status415UnsupportedMediaType, 3, $"Content-Encoding '{encoding}' is not supported.");
            return;
        }

        PooledBuffer? body;
        try
        {
            body = await OtlpIngest.ReadBodyAsync(context.Request.Body, encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase), context.RequestAborted);
        }
        catch (InvalidDataException)
        {
            await WriteStatusAsync(context, StatusCodes.Status400BadRequest, 3, "The gzip body is corrupt.");
            return;
        }

        if (body is null)
        {
            await WriteStatusAsync(context, StatusCodes.Status413PayloadTooLarge, 8, "The request is too large.");
            return;
        }

        using (body)
        {
            try
            {
                ingest.Ingest(signal, body.Span);
            }
            catch (OtlpFormatException e)
            {
                ingest.LogMalformed(signal, e.Message);
                await WriteStatusAsync(context, StatusCodes.Status400BadRequest, 3, e.Message);
                return;
            }
        }

        // An Export*ServiceResponse without partial_success is the empty message: zero bytes.
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = ProtobufContentType;
        context.Response.ContentLength = 0;
    }

    /// <summary>google.rpc.Status: 1 code (int32), 2 message (string).</summary>
    internal static byte[] EncodeStatus(int code, string message)
    {
        var text = Encoding.UTF8.GetBytes(message);
        using var stream = new MemoryStream();
        stream.WriteByte(0x08);
        WriteVarint(stream, (ulong)code);
        stream.WriteByte(0x12);
        WriteVarint(stream, (ulong)text.Length);
        stream.Write(text);
        return stream.ToArray();
    }

    private static void WriteVarint(Stream stream, ulong value)
    {
        while (value >= 0x80)
        {
            stream.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }

        stream.WriteByte((byte)value);
    }

    private static async Task WriteStatusAsync(HttpContext context, int httpStatus, int grpcCode, string message)
    {
        var body = EncodeStatus(grpcCode, message);
        context.Response.StatusCode = httpStatus;
        context.Response.ContentType = ProtobufContentType;
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }
}
