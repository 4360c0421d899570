using System.Collections.Concurrent;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Web.Frontend.Tests.Infrastructure;

/// <summary>A span as the services exported it over OTLP.</summary>
public sealed record ReceivedSpan(
    string Service, string Scope, string TraceId, string SpanId, string ParentSpanId, string Name, int Kind,
    IReadOnlyDictionary<string, string> Attributes)
{
    public const int ServerKind = 2;
    public const int ClientKind = 3;

    public bool IsRoot => ParentSpanId.Length == 0;

    public bool IsRedis => Attributes.TryGetValue("db.system", out var system) && system == "redis"
        || Attributes.TryGetValue("db.system.name", out var name) && name == "redis"
        || Scope.Contains("StackExchangeRedis", StringComparison.Ordinal);
}

/// <summary>
/// An OTLP/HTTP receiver (protobuf, as the OpenTelemetry exporter sends with <c>OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf</c>)
/// in place of the dashboard: it keeps every span and answers logs and metrics with an empty success.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    private OtlpReceiver(WebApplication app) => _app = app;

    public ConcurrentQueue<ReceivedSpan> Spans { get; } = new();

    public Uri Url { get; private set; } = null!;

    public static async Task<OtlpReceiver> StartAsync(CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var receiver = new OtlpReceiver(app);
        app.MapPost("/v1/traces", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            foreach (var span in OtlpTraces.Parse(body.ToArray()))
            {
                receiver.Spans.Enqueue(span);
            }

            return Results.Bytes([], "application/x-protobuf");
        });
        app.MapPost("/v1/{signal}", () => Results.Bytes([], "application/x-protobuf"));
        await app.StartAsync(ct);
        receiver.Url = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return receiver;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

/// <summary>Reads the fields of an OTLP <c>ExportTraceServiceRequest</c> that the tests look at (opentelemetry-proto, trace/v1).</summary>
internal static class OtlpTraces
{
    public static List<ReceivedSpan> Parse(byte[] request)
    {
        var spans = new List<ReceivedSpan>();
        foreach (var resourceSpans in Repeated(request, 1))
        {
            var service = "";
            var scopes = new List<ByteString>();
            Fields(resourceSpans, (field, input) =>
            {
                switch (field)
                {
                    case 1: service = Attributes(input.ReadBytes(), 1).GetValueOrDefault("service.name", ""); break;
                    case 2: scopes.Add(input.ReadBytes()); break;
                    default: input.SkipLastField(); break;
                }
            });
            foreach (var scopeSpans in scopes)
            {
                var scope = "";
                var raw = new List<ByteString>();
                Fields(scopeSpans, (field, input) =>
                {
                    switch (field)
                    {
                        case 1: scope = ScopeName(input.ReadBytes()); break;
                        case 2: raw.Add(input.ReadBytes()); break;
                        default: input.SkipLastField(); break;
                    }
                });
                spans.AddRange(raw.Select(span => Span(service, scope, span)));
            }
        }

        return spans;
    }

    private static ReceivedSpan Span(string service, string scope, ByteString span)
    {
        string traceId = "", spanId = "", parent = "", name = "";
        var kind = 0;
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        Fields(span, (field, input) =>
        {
            switch (field)
            {
                case 1: traceId = Convert.ToHexStringLower(input.ReadBytes().Span); break;
                case 2: spanId = Convert.ToHexStringLower(input.ReadBytes().Span); break;
                case 4: parent = Convert.ToHexStringLower(input.ReadBytes().Span); break;
                case 5: name = input.ReadString(); break;
                case 6: kind = input.ReadEnum(); break;
                case 9: Attribute(input.ReadBytes(), attributes); break;
                default: input.SkipLastField(); break;
            }
        });
        return new ReceivedSpan(service, scope, traceId, spanId, parent, name, kind, attributes);
    }

    private static Dictionary<string, string> Attributes(ByteString message, int field)
    {
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        Fields(message, (f, input) =>
        {
            if (f == field)
            {
                Attribute(input.ReadBytes(), attributes);
            }
            else
            {
                input.SkipLastField();
            }
        });
        return attributes;
    }

    // KeyValue { string key = 1; AnyValue value = 2 }; only string and integer values are read.
    private static void Attribute(ByteString keyValue, Dictionary<string, string> into)
    {
        string? key = null, value = null;
        Fields(keyValue, (field, input) =>
        {
            switch (field)
            {
                case 1: key = input.ReadString(); break;
                case 2:
                    Fields(input.ReadBytes(), (f, any) =>
                    {
                        switch (f)
                        {
                            case 1: value = any.ReadString(); break;
                            case 3: value = any.ReadInt64().ToString(System.Globalization.CultureInfo.InvariantCulture); break;
                            default: any.SkipLastField(); break;
                        }
                    });
                    break;
                default: input.SkipLastField(); break;
            }
        });
        if (key is not null && value is not null)
        {
            into[key] = value;
        }
    }

    // InstrumentationScope { string name = 1; … }
    private static string ScopeName(ByteString scope)
    {
        var name = "";
        Fields(scope, (field, input) =>
        {
            if (field == 1)
            {
                name = input.ReadString();
            }
            else
            {
                input.SkipLastField();
            }
        });
        return name;
    }

    private static List<ByteString> Repeated(byte[] message, int field)
    {
        var items = new List<ByteString>();
        Fields(ByteString.CopyFrom(message), (f, input) =>
        {
            if (f == field)
            {
                items.Add(input.ReadBytes());
            }
            else
            {
                input.SkipLastField();
            }
        });
        return items;
    }

    private static void Fields(ByteString message, Action<int, CodedInputStream> read)
    {
        var input = message.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            read(WireFormat.GetTagFieldNumber(tag), input);
        }
    }
}
