using System.Net;
using Platform.Sessions;
using Platform.TestSupport;

namespace Sync.Api.Tests;

public sealed class SessionAuthenticationTests(SyncCluster cluster)
{
    [Fact]
    public async Task NoTokenAndAnUnknownTokenGetOne401ShapeWhoseTypeSaysSignInRequiredOrSessionExpired()
    {
        var ct = TestContext.Current.CancellationToken;
        var guest = await cluster.GuestAsync("ended");
        var unknownGuest = guest with { Token = guest.Token[..^4] + "AAAA" };
        var (none, signIn) = await ProblemShape.ReadAsync(await cluster.SendAsync(cluster.Request(HttpMethod.Get, "/api/sessions/me", null)), ct);
        var (unknown, expired) = await ProblemShape.ReadAsync(await cluster.SendAsync(cluster.Request(HttpMethod.Get, "/api/sessions/me", unknownGuest)), ct);

        Assert.Equal(new ProblemShape(HttpStatusCode.Unauthorized, "application/problem+json", "Bearer", none.Members), none);
        Assert.Equal(none, unknown);
        Assert.Equal(SessionAuthentication.SignInRequiredType, signIn["type"]!.ToString());
        Assert.Equal(SessionAuthentication.SessionExpiredType, expired["type"]!.ToString());
        Assert.All(new[] { signIn, expired }, p =>
        {
            Assert.Contains("sign in as a guest (POST /api/sessions)", p["detail"]!.ToString(), StringComparison.Ordinal);
            Assert.Equal(ErrorCodes.Unauthorized, p["code"]!.ToString());
        });
    }

    [Fact]
    public async Task TheHubTakesTheTokenFromTheAccessTokenQueryAndTheRestOfTheApiDoesNot()
    {
        var ct = TestContext.Current.CancellationToken;
        var guest = await cluster.GuestAsync("query");
        var token = Uri.EscapeDataString(guest.Token);
        using (var hub = await cluster.SendAsync(cluster.Request(HttpMethod.Post, $"/hubs/sync/negotiate?negotiateVersion=1&access_token={token}", null)))
        {
            Assert.Equal(HttpStatusCode.OK, hub.StatusCode);
        }

        var (_, elsewhere) = await ProblemShape.ReadAsync(await cluster.SendAsync(cluster.Request(HttpMethod.Get, $"/api/sessions/me?access_token={token}", null)), ct);
        Assert.Equal(SessionAuthentication.SignInRequiredType, elsewhere["type"]!.ToString());
        var ended = Uri.EscapeDataString(guest.Token[..^4] + "AAAA");
        var (_, refused) = await ProblemShape.ReadAsync(await cluster.SendAsync(cluster.Request(HttpMethod.Post, $"/hubs/sync/negotiate?negotiateVersion=1&access_token={ended}", null)), ct);
        Assert.Equal(SessionAuthentication.SessionExpiredType, refused["type"]!.ToString());
    }
}
