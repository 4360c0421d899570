using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Bets.Api.Grid;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Bets.Api.Tests;

/// <summary>The betting API takes only what it documents, and says in the user's words what was wrong.</summary>
public sealed class StrictInputTests(BetsFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static string Cell()
    {
        var o = new GridOptions();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        return $"\"band\":{GridCalculator.BandOf(60_010m, o.BandWidth) + 1},\"windowStart\":{GridCalculator.FirstWindowStart(now, o.WindowSeconds) + o.WindowSeconds * 1000L}";
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path, string json, CancellationToken ct, string? key = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }

        return client.SendAsync(request, ct).WaitAsync(Timeout, ct);
    }

    /// <summary>A 400 validation problem whose only error is for <paramref name="field"/>; returns that field's message.</summary>
    private static async Task<string> FieldErrorAsync(HttpResponseMessage response, string field)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("Bets.Api", text, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", text, StringComparison.Ordinal);
        Assert.DoesNotContain("minor units", text, StringComparison.OrdinalIgnoreCase);
        var problem = JsonNode.Parse(text)!.AsObject();
        Assert.Equal(400, (int)problem["status"]!);
        var errors = problem["errors"]!.AsObject();
        Assert.Equal([field], errors.Select(e => e.Key));
        return errors[field]![0]!.ToString();
    }

    [Fact]
    public async Task AStakeSentAsAStringIsRefusedAsTheStakesError()
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, _) = await fixture.SignInAsync(fixture.Host, ct).WaitAsync(Timeout, ct);
        using var _ = client;
        var message = await FieldErrorAsync(await SendAsync(client, HttpMethod.Post, "/bets", $$"""{{{Cell()}},"stake":"500"}""", ct, "strict-1"), "stake");
        Assert.Contains("$5.00", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnknownFieldIsRefusedByName()
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, _) = await fixture.SignInAsync(fixture.Host, ct).WaitAsync(Timeout, ct);
        using var _ = client;
        await FieldErrorAsync(await SendAsync(client, HttpMethod.Post, "/bets", $$"""{{{Cell()}},"stake":500,"multiplier":100}""", ct, "strict-2"), "multiplier");
        await FieldErrorAsync(await SendAsync(client, HttpMethod.Put, "/wallet/daily-limit", """{"dailyLimit":500,"extra":true}""", ct), "extra");
    }

    [Fact]
    public async Task AMissingStakeIsRequiredNotTakenAsZero()
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, _) = await fixture.SignInAsync(fixture.Host, ct).WaitAsync(Timeout, ct);
        using var _ = client;
        var message = await FieldErrorAsync(await SendAsync(client, HttpMethod.Post, "/bets", $$"""{{{Cell()}}}""", ct, "strict-3"), "stake");
        Assert.Contains("required", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AStakeTooLargeForAnyNumberTypeIsTheStakesErrorAndNamesNoInternalType()
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, _) = await fixture.SignInAsync(fixture.Host, ct).WaitAsync(Timeout, ct);
        using var _ = client;
        await FieldErrorAsync(await SendAsync(client, HttpMethod.Post, "/bets", $$"""{{{Cell()}},"stake":99999999999999999999999}""", ct, "strict-4"), "stake");
        await FieldErrorAsync(await SendAsync(client, HttpMethod.Put, "/wallet/daily-limit", """{"dailyLimit":"500"}""", ct), "dailyLimit");
    }

    [Fact]
    public async Task AStakeOutOfBoundsIsExplainedInDollarsWithTheBoundsInCentsForPrograms()
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, _) = await fixture.SignInAsync(fixture.Host, ct).WaitAsync(Timeout, ct);
        using var _ = client;
        var response = await SendAsync(client, HttpMethod.Post, "/bets", $$"""{{{Cell()}},"stake":1}""", ct, "strict-5");
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!;
        Assert.Equal("The stake must be between $1.00 and $1,000.00 (between 100 and 100000 cents).", await FieldErrorAsync(response, "stake"));
        Assert.Equal("The stake must be between $1.00 and $1,000.00 (between 100 and 100000 cents).", problem["detail"]!.ToString());
        Assert.Equal(100, (long)problem["minStake"]!);
        Assert.Equal(100_000, (long)problem["maxStake"]!);
    }

    [Fact]
    public async Task APlacementWithoutABodyOrNotDeclaredAsJsonIsAProblemDetail()
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, _) = await fixture.SignInAsync(fixture.Host, ct).WaitAsync(Timeout, ct);
        using var _ = client;
        var empty = new HttpRequestMessage(HttpMethod.Post, "/bets") { Content = new StringContent("", Encoding.UTF8, "application/json") };
        empty.Headers.Add("Idempotency-Key", "strict-7");
        Assert.Equal("A JSON body is required.", await FieldErrorAsync(await client.SendAsync(empty, ct).WaitAsync(Timeout, ct), "body"));

        var text = new HttpRequestMessage(HttpMethod.Post, "/bets") { Content = new StringContent($$"""{{{Cell()}},"stake":500}""", Encoding.UTF8, "text/plain") };
        text.Headers.Add("Idempotency-Key", "strict-8");
        var response = await client.SendAsync(text, ct).WaitAsync(Timeout, ct);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync(ct);
        Assert.Equal(415, (int)JsonNode.Parse(body)!["status"]!);
    }

    [Theory]
    [InlineData("/bets?status=bogus", "status")]
    [InlineData("/bets?limit=-1", "limit")]
    [InlineData("/bets?limit=5000", "limit")]
    [InlineData("/bets?limit=ten", "limit")]
    [InlineData("/wallet/ledger?limit=0", "limit")]
    public async Task QueryValuesOutsideTheirRangeAreRefused(string path, string field)
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, _) = await fixture.SignInAsync(fixture.Host, ct).WaitAsync(Timeout, ct);
        using var _ = client;
        await FieldErrorAsync(await client.GetAsync(path, ct).WaitAsync(Timeout, ct), field);
    }

    [Fact]
    public async Task TheDocumentedQueryValuesAreAccepted()
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, _) = await fixture.SignInAsync(fixture.Host, ct).WaitAsync(Timeout, ct);
        using var _ = client;
        foreach (var status in new[] { "open", "won", "lost", "void" })
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/bets?status={status}&limit=1000", ct).WaitAsync(Timeout, ct)).StatusCode);
        }
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/wallet/ledger?limit=1", ct).WaitAsync(Timeout, ct)).StatusCode);
    }

    [Fact]
    public async Task MalformedJsonIsABadRequestProblemLoggedAsAWarningNotAnError()
    {
        var ct = TestContext.Current.CancellationToken;
        var logs = new LogCapture();
        await using var host = await BetsHost.StartAsync(fixture.Redis.ConnectionString, Path.Combine(fixture.Folder, "strict.db"),
            services: s => s.AddSingleton<ILoggerProvider>(logs)).WaitAsync(Timeout, ct);
        var (client, _) = await fixture.SignInAsync(host, ct).WaitAsync(Timeout, ct);
        using var _ = client;

        var message = await FieldErrorAsync(await SendAsync(host.Http, HttpMethod.Post, "/auth/verify", "{nope", ct), "body");
        Assert.Contains("not valid JSON", message, StringComparison.Ordinal);
        await FieldErrorAsync(await SendAsync(client, HttpMethod.Post, "/bets", "{\"band\":", ct, "strict-6"), "body");
        await FieldErrorAsync(await SendAsync(client, HttpMethod.Post, "/wallet/self-exclusion", "[1,2]", ct), "body");

        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Error);
        var warnings = logs.Entries.Where(e => e.Level == LogLevel.Warning && e.Message.Contains("/auth/verify", StringComparison.Ordinal)).ToList();
        Assert.Single(warnings);
        Assert.Null(warnings[0].Exception);
    }
}
