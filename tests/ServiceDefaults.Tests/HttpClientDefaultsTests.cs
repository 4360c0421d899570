using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
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
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["HttpResilience:RetryBaseDelay"] = "00:00:00.010",
        });
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
    public async Task HttpsPlusHttpFallsBackToHttpWhenNoHttpsEndpointExists()
    {
        var (backend, _) = await StartBackend(_ => Results.Ok("plain"));
        await using var __ = backend;
        await using var sp = Client(new Dictionary<string, string?> { ["services:bets-api:http:0"] = backend.Address.ToString() });
        var http = sp.GetRequiredService<IHttpClientFactory>().CreateClient();
        http.BaseAddress = new Uri("https+http://bets-api");
        Assert.Equal("\"plain\"", await http.GetStringAsync("/work", TestContext.Current.CancellationToken).WaitAsync(TestHost.Timeout, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task UnconfiguredServiceNameFailsWithTheMissingKey()
    {
        await using var sp = Client(new Dictionary<string, string?>());
        var http = sp.GetRequiredService<IHttpClientFactory>().CreateClient();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => http.GetAsync(new Uri("http://bets-api/work"), TestContext.Current.CancellationToken).WaitAsync(TestHost.Timeout, TestContext.Current.CancellationToken));
        Assert.Contains("services__bets-api__http__0", error.Message, StringComparison.Ordinal);
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
    public async Task BadRequestIsNotRetried()
    {
        var (backend, hits) = await StartBackend(_ => Results.BadRequest());
        await using var _ = backend;
        await using var sp = Client(new Dictionary<string, string?> { ["services:bets-api:http:0"] = backend.Address.ToString() });
        var response = await sp.GetRequiredService<IHttpClientFactory>().CreateClient()
            .GetAsync(new Uri("http://bets-api/work"), TestContext.Current.CancellationToken).WaitAsync(TestHost.Timeout, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(1, hits());
    }

    [Fact]
    public async Task PostWithoutIdempotencyKeyIsNotRetriedButWithOneItIs()
    {
        var (backend, hits) = await StartBackend(n => n <= 2 ? Results.StatusCode(503) : Results.Ok());
        await using var _ = backend;
        await using var sp = Client(new Dictionary<string, string?> { ["services:bets-api:http:0"] = backend.Address.ToString() });
        var http = sp.GetRequiredService<IHttpClientFactory>().CreateClient();
        var plain = await http.PostAsync(new Uri("http://bets-api/work"), new StringContent("{}"), TestContext.Current.CancellationToken).WaitAsync(TestHost.Timeout, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, plain.StatusCode);
        Assert.Equal(1, hits());

        using var keyed = new HttpRequestMessage(HttpMethod.Post, "http://bets-api/work") { Content = new StringContent("{}") };
        keyed.Headers.Add("Idempotency-Key", "k-1");
        var retried = await http.SendAsync(keyed, TestContext.Current.CancellationToken).WaitAsync(TestHost.Timeout, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.Equal(3, hits());
    }

    [Fact]
    public async Task SeveralAddressesAreUsedRoundRobin()
    {
        var (a, hitsA) = await StartBackend(_ => Results.Ok());
        var (b, hitsB) = await StartBackend(_ => Results.Ok());
        await using var _ = a;
        await using var __ = b;
        await using var sp = Client(new Dictionary<string, string?>
        {
            ["services:sync-api:http:0"] = a.Address.ToString(),
            ["services:sync-api:http:1"] = b.Address.ToString(),
        });
        var http = sp.GetRequiredService<IHttpClientFactory>().CreateClient();
        for (var i = 0; i < 4; i++)
        {
            (await http.GetAsync(new Uri("http://sync-api/work"), TestContext.Current.CancellationToken).WaitAsync(TestHost.Timeout, TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        }

        Assert.Equal(2, hitsA());
        Assert.Equal(2, hitsB());
    }
}
