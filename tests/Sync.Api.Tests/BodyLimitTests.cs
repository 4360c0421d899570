using System.Net;
using System.Text.Json.Nodes;
using Platform.TestSupport;

namespace Sync.Api.Tests;

/// <summary>Request bodies are limited (16 KB by default, more for the hub's long polling) and refused with 413 problem
/// details before they are read.</summary>
public sealed class BodyLimitTests(SyncCluster cluster)
{
    private const long TwentyFiveMegabytes = 25L * 1024 * 1024;

    [Theory]
    [InlineData("/api/sessions", "16 KB")] // anonymous
    [InlineData("/api/rooms", "16 KB")] // needs a session; the request has none
    [InlineData("/hubs/sync", "512 KB")]
    public async Task ADeclared25MegabyteBodyIsRefusedWith413BeforeAnyOfItIsSent(string path, string limit)
    {
        var answer = await OversizedUpload.DeclaredAsync(cluster.Urls[0], path, TwentyFiveMegabytes, null, TestContext.Current.CancellationToken);

        Assert.Equal(413, answer.Status);
        Assert.Equal(0, answer.BodyBytesSent);
        Assert.Equal("close", answer.Header("Connection"));
        AssertTooLargeProblem(answer.Body, limit);
    }

    [Fact]
    public async Task AChunked25MegabyteBodyIsCutOffAtTheLimit()
    {
        var answer = await OversizedUpload.ChunkedAsync(cluster.Urls[1], "/api/sessions", TwentyFiveMegabytes, null, TestContext.Current.CancellationToken);

        Assert.Equal(413, answer.Status);
        Assert.False(answer.BodyFinished, $"the server read all {answer.BodyBytesSent} bytes before answering");
        AssertTooLargeProblem(answer.Body, "16 KB");
    }

    [Fact]
    public async Task TheLimitIs16KilobytesABodyUnderItIsRead()
    {
        var ct = TestContext.Current.CancellationToken;
        var over = await cluster.SendAsync(cluster.Request(HttpMethod.Post, "/api/sessions", null, new { displayName = new string('a', 17 * 1024) }));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, over.StatusCode);
        AssertTooLargeProblem(await over.Content.ReadAsStringAsync(ct), "16 KB");

        // Read, parsed and refused for what it says.
        var under = await cluster.SendAsync(cluster.Request(HttpMethod.Post, "/api/sessions", null, new { displayName = new string('a', 15 * 1024) }));
        await RoomAccessTests.AssertProblem(under, HttpStatusCode.BadRequest, ErrorCodes.InvalidArgument);
    }

    private static void AssertTooLargeProblem(string body, string limit)
    {
        var problem = JsonNode.Parse(body)!;
        Assert.Equal(413, (int)problem["status"]!);
        Assert.Equal("Request body too large", (string)problem["title"]!);
        Assert.Contains(limit, (string)problem["detail"]!, StringComparison.Ordinal);
    }
}
