using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ServiceDefaults.Tests;

public sealed class HttpClientDefaultsTests
{
    private static async Task<(TestHost Host, Func<int> Hits)> StartBackend(Func<int, IResult> respond)
    {
        var hits = 0;
        var host = await TestHost.StartAsync(serviceDefaults: false, map: app => app.Map("/work", () => respond(Interlocked.Increment(ref hits))));
        return (host, () => Volatile.Read(ref hits));
    }

    private static ServiceProvider Client(IDictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        builder.AddServiceDefaults();
        return builder.Services.BuildServiceProvider();
    }

    [Fact]
    public async Task LogicalNameResolvesFromServicesConfiguration()
    {
        var (backend, hits) = await StartBackend(_ => Results.Ok("hi"));
        await using var _ = backend;
        await using var sp = Client(new Dictionary<string, string?> { ["services:bets-api:http:0"] = backend.Address.ToString() });
        var http = sp.GetRequiredService<IHttpClientFactory>().CreateClient("bets");
        http.BaseAddress = new Uri("http://bets-api");
        Assert.Equal("\"hi\"", await http.GetStringAsync("/work", TestContext.Current.CancellationToken).WaitAsync(TestHost.Timeout, TestContext.Current.CancellationToken));
        Assert.Equal(1, hits());
    }

    [Fact]
    public async Task TransientFailureIsRetriedUntilItSucceeds()
    {
        var (backend, hits) = await StartBackend(n => n < 3 ? Results.StatusCode(503) : Results.Ok("ok"));
        await using var _ = backend;
        await using var sp = Client(new Dictionary<string, string?> { ["services:bets-api:http:0"] = backend.Address.ToString() });
        var response = await sp.GetRequiredService<IHttpClientFactory>().CreateClient()
            .GetAsync(new Uri("http://bets-api/work"), TestContext.Current.CancellationToken).WaitAsync(TestHost.Timeout, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(3, hits());
    }

    [Fact]
    public async Task PostIsSentOnceEvenWhenTheAnswerIsTransient()
    {
        var (backend, hits) = await StartBackend(_ => Results.StatusCode(503));
        await using var _ = backend;
        await using var sp = Client(new Dictionary<string, string?> { ["services:bets-api:http:0"] = backend.Address.ToString() });
        using var request = new HttpRequestMessage(HttpMethod.Post, "http://bets-api/work") { Content = new StringContent("{}") };
        request.Headers.Add("Idempotency-Key", "k-1");
        var response = await sp.GetRequiredService<IHttpClientFactory>().CreateClient()
            .SendAsync(request, TestContext.Current.CancellationToken).WaitAsync(TestHost.Timeout, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(1, hits());
    }
}
