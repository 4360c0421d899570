using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Platform.TestSupport;

namespace Bets.Api.Tests;

/// <summary>Request bodies are limited (16 KB by default) and refused with 413 problem details before they are read.</summary>
public sealed class BodyLimitTests(BetsFixture fixture)
{
    private const long TwentyFiveMegabytes = 25L * 1024 * 1024;

    [Theory]
    [InlineData("/auth/verify")] // anonymous
    [InlineData("/bets")] // needs a session; the request has none
    [InlineData("/no/such/endpoint")]
    public async Task ADeclared25MegabyteBodyIsRefusedWith413BeforeAnyOfItIsSent(string path)
    {
        var answer = await OversizedUpload.DeclaredAsync(fixture.Host.Address, path, TwentyFiveMegabytes, null, TestContext.Current.CancellationToken);

        Assert.Equal(413, answer.Status);
        Assert.Equal(0, answer.BodyBytesSent);
        Assert.Equal("close", answer.Header("Connection"));
        AssertTooLargeProblem(answer.Body);
    }

    [Fact]
    public async Task AChunked25MegabyteBodyIsCutOffAtTheLimit()
    {
        var answer = await OversizedUpload.ChunkedAsync(fixture.Host.Address, "/auth/verify", TwentyFiveMegabytes, null, TestContext.Current.CancellationToken);

        Assert.Equal(413, answer.Status);
        Assert.False(answer.BodyFinished, $"the server read all {answer.BodyBytesSent} bytes before answering");
        AssertTooLargeProblem(answer.Body);
    }

    [Fact]
    public async Task TheLimitIs16KilobytesABodyUnderItIsRead()
    {
        var ct = TestContext.Current.CancellationToken;
        var over = await fixture.Host.Http.PostAsJsonAsync("/auth/verify", new { message = new string('a', 17 * 1024), signature = "0x00" }, ct);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, over.StatusCode);
        AssertTooLargeProblem(await over.Content.ReadAsStringAsync(ct));

        // Read, parsed and refused for what it says.
        var under = await fixture.Host.Http.PostAsJsonAsync("/auth/verify", new { message = new string('a', 15 * 1024), signature = "0x00" }, ct);
        Assert.Equal(HttpStatusCode.BadRequest, under.StatusCode);
        Assert.Equal("MalformedMessage", (await under.Content.ReadFromJsonAsync<JsonObject>(ct))!["failure"]!.ToString());
    }

    private static void AssertTooLargeProblem(string body)
    {
        var problem = JsonNode.Parse(body)!;
        Assert.Equal(413, (int)problem["status"]!);
        Assert.Equal("Request body too large", (string)problem["title"]!);
        Assert.Contains("16 KB", (string)problem["detail"]!, StringComparison.Ordinal);
    }
}
