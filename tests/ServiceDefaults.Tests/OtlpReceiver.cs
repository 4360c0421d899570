using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Platform.TestSupport;

namespace ServiceDefaults.Tests;

/// <summary>
/// A minimal OTLP/HTTP collector: accepts protobuf export requests on /v1/{signal} and keeps their bodies. The payload
/// is protobuf, in which resource attribute values and span names are plain UTF-8 strings, so a byte search is enough
/// to prove which service sent what.
/// </summary>
internal sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly TestHost _host;

    private OtlpReceiver(TestHost host, ConcurrentQueue<(string Signal, string ContentType, byte[] Body, string? ApiKey)> requests)
    {
        _host = host;
        Requests = requests;
    }

    public ConcurrentQueue<(string Signal, string ContentType, byte[] Body, string? ApiKey)> Requests { get; }
    public Uri Address => _host.Address;

    public static async Task<OtlpReceiver> StartAsync()
    {
        var requests = new ConcurrentQueue<(string, string, byte[], string?)>();
        var host = await TestHost.StartAsync(serviceDefaults: false, map: app => app.MapPost("/v1/{signal}", async (string signal, HttpContext context) =>
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer);
            requests.Enqueue((signal, context.Request.ContentType ?? "", buffer.ToArray(), context.Request.Headers["x-otlp-api-key"].FirstOrDefault()));
            return Results.Ok();
        }));
        return new OtlpReceiver(host, requests);
    }

    public Task WaitForAsync(Func<(string Signal, string ContentType, byte[] Body, string? ApiKey), bool> predicate, string what, TimeSpan timeout) =>
        Eventually.UntilAsync(() => Requests.Any(predicate), what, TestContext.Current.CancellationToken, timeout,
            () => $"received: {string.Join(", ", Requests.Select(r => r.Signal))}");

    public ValueTask DisposeAsync() => _host.DisposeAsync();
}
