using System.Net;
using System.Net.Http.Headers;
using Platform.Hosting.Dashboard.Telemetry;

namespace Platform.Hosting.Dashboard.Tests;

/// <summary>Malformed, unauthenticated or mistyped OTLP requests are refused and change nothing.</summary>
public sealed class OtlpBadInputTests(DashboardFixture dashboard) : IClassFixture<DashboardFixture>
{
    // A valid ExportTraceServiceRequest: one ResourceSpans with service.name "ok" and one span.
    private static readonly byte[] ValidSpan = TraceRequest(Span(TraceId: 16, SpanId: 8));

    public static TheoryData<string, byte[]> Malformed => new()
    {
        { "truncated varint", [0x0A, 0x80] },
        { "length past the end", [0x0A, 0x7F, 0x01] },
        { "unsupported wire type", [0x0B] },
        { "field number zero", [0x02, 0x00] },
        { "trace id of 3 bytes", TraceRequest(Span(TraceId: 3, SpanId: 8)) },
        { "span without span id", TraceRequest(Span(TraceId: 16, SpanId: 0)) },
        { "string that is not UTF-8", TraceRequest([0x2A, 0x02, 0xC3, 0x28, .. Span(16, 8)]) },
        { "valid span followed by garbage", [.. ValidSpan, 0x0A, 0x05, 0x01] },
        { "wrong wire type for start time", TraceRequest([.. Span(16, 8), 0x38, 0x01]) },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task MalformedTracePayloadGets400AndStoresNothing(string why, byte[] payload)
    {
        _ = why;
        var before = Counts();
        using var response = await PostAsync("v1/traces", payload);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/x-protobuf", response.Content.Headers.ContentType?.MediaType);
        // A google.rpc.Status: field 1 = INVALID_ARGUMENT (3).
        var body = await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
        Assert.Equal([0x08, 0x03], body[..2]);
        Assert.Equal(before, Counts());
    }

    [Theory]
    [InlineData("v1/logs")]
    [InlineData("v1/metrics")]
    public async Task MalformedLogsAndMetricsGet400(string path)
    {
        var before = Counts();
        using var response = await PostAsync(path, [0x0A, 0x10, 0x0A]);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(before, Counts());
    }

    [Fact]
    public async Task ValidHandWrittenPayloadIsAcceptedWithAnEmptyResponse()
    {
        using var response = await PostAsync("v1/traces", ValidSpan);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));
        Assert.Contains(dashboard.Server.Telemetry.GetResources(), r => r.Name == "ok");
    }

    [Fact]
    public async Task UnsupportedContentTypeGets415()
    {
        using var client = new HttpClient { BaseAddress = dashboard.Server.OtlpHttpEndpoint };
        using var content = new StringContent("{}");
        content.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
        content.Headers.Add("x-otlp-api-key", dashboard.Server.OtlpApiKey);
        using var response = await client.PostAsync("v1/traces", content, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-key")]
    public async Task MissingOrWrongApiKeyGets401AndStoresNothing(string? key)
    {
        var before = Counts();
        using var response = await PostAsync("v1/traces", ValidSpan, key ?? "");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(before, Counts());
    }

    [Fact]
    public async Task OtlpPortServesNoDashboardAndFrontendPortAcceptsNoOtlp()
    {
        using var otlp = new HttpClient { BaseAddress = dashboard.Server.OtlpHttpEndpoint };
        otlp.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", dashboard.Server.BrowserToken);
        using var page = await otlp.GetAsync("api/resources", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);

        using var content = new ByteArrayContent(ValidSpan);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        content.Headers.Add("x-otlp-api-key", dashboard.Server.OtlpApiKey);
        using var front = new HttpClient { BaseAddress = dashboard.Server.FrontendUrl };
        using var refused = await front.PostAsync("v1/traces", content, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    private (int Spans, int Logs, int Instruments) Counts()
    {
        var resources = dashboard.Server.Telemetry.GetResources();
        return (resources.Sum(r => r.Spans), resources.Sum(r => r.Logs), resources.Sum(r => r.Instruments));
    }

    private async Task<HttpResponseMessage> PostAsync(string path, byte[] payload, string? key = null)
    {
        using var client = new HttpClient { BaseAddress = dashboard.Server.OtlpHttpEndpoint };
        using var content = new ByteArrayContent(payload);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        if ((key ?? dashboard.Server.OtlpApiKey) is { Length: > 0 } value)
        {
            content.Headers.Add("x-otlp-api-key", value);
        }

        return await client.PostAsync(path, content, TestContext.Current.CancellationToken);
    }

    // Span: 1 trace_id, 2 span_id, 5 name.
    private static byte[] Span(int TraceId, int SpanId) =>
        [.. Field(1, new byte[TraceId].Select((_, i) => (byte)(i + 1)).ToArray()), .. Field(2, new byte[SpanId].Select((_, i) => (byte)(i + 1)).ToArray()), .. Field(5, "op"u8.ToArray())];

    // request{1: ResourceSpans{1: Resource{1: KeyValue{1 "service.name", 2 AnyValue{1 "ok"}}}, 2: ScopeSpans{2: span}}}
    private static byte[] TraceRequest(byte[] span)
    {
        byte[] keyValue = [.. Field(1, "service.name"u8.ToArray()), .. Field(2, Field(1, "ok"u8.ToArray()))];
        byte[] resource = Field(1, keyValue);
        byte[] scopeSpans = Field(2, span);
        return Field(1, [.. Field(1, resource), .. Field(2, scopeSpans)]);
    }

    private static byte[] Field(int number, byte[] value) => [(byte)((number << 3) | 2), (byte)value.Length, .. value];
}
