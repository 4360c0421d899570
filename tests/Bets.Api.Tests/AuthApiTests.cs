using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Platform.Sessions;
using Platform.TestSupport;

namespace Bets.Api.Tests;

public sealed class AuthApiTests(BetsFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private async Task<string> NonceAsync(CancellationToken ct) =>
        (await fixture.Host.Http.GetFromJsonAsync<JsonObject>("/auth/nonce", ct).WaitAsync(Timeout, ct))!["nonce"]!.ToString();

    private Task<HttpResponseMessage> VerifyAsync(string message, string signature, CancellationToken ct) =>
        fixture.Host.Http.PostAsJsonAsync("/auth/verify", new { message, signature }, ct).WaitAsync(Timeout, ct);

    [Fact]
    public async Task SignInWithAnEthersSignedMessageStartsA24HourSessionAndLogoutEndsIt()
    {
        var ct = TestContext.Current.CancellationToken;
        var (client, wallet) = await fixture.SignInAsync(fixture.Host, ct).WaitAsync(Timeout, ct);
        using (client)
        {
            var ttl = await fixture.Client.GetDatabase().KeyTimeToLiveAsync($"session:{wallet}").WaitAsync(Timeout, ct);
            Assert.InRange(ttl!.Value, TimeSpan.FromHours(23.9), TimeSpan.FromHours(24));

            var balance = await client.GetFromJsonAsync<JsonObject>("/balance", ct).WaitAsync(Timeout, ct);
            Assert.Equal(wallet, balance!["wallet"]!.ToString());

            Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync("/auth/logout", null, ct).WaitAsync(Timeout, ct)).StatusCode);
            Assert.False(await fixture.Client.GetDatabase().KeyExistsAsync($"session:{wallet}").WaitAsync(Timeout, ct));
            var after = await client.GetAsync("/balance", ct).WaitAsync(Timeout, ct);
            Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        }
    }

    [Fact]
    public async Task LogoutAndANewSignInEndTheOldSessionOnAnInstanceThatHadItCached()
    {
        var ct = TestContext.Current.CancellationToken;
        // A cache lifetime far beyond the wait below: only the revocation channel can end the session there in time.
        await using var other = await BetsHost.StartAsync(fixture.Redis.ConnectionString, fixture.Database,
            new Dictionary<string, string?> { ["Auth:SessionCacheSeconds"] = "60" }).WaitAsync(Timeout, ct);
        var key = Signer.RandomKey();

        var (first, _) = await fixture.SignInAsync(fixture.Host, ct, key).WaitAsync(Timeout, ct);
        using var firstOnOther = OnHost(other, first);
        Assert.Equal(HttpStatusCode.OK, (await firstOnOther.GetAsync("/balance", ct).WaitAsync(Timeout, ct)).StatusCode);
        var (second, _) = await fixture.SignInAsync(fixture.Host, ct, key).WaitAsync(Timeout, ct); // replaces the first session
        await UntilUnauthorizedAsync(firstOnOther, ct);

        using var secondOnOther = OnHost(other, second);
        Assert.Equal(HttpStatusCode.OK, (await secondOnOther.GetAsync("/balance", ct).WaitAsync(Timeout, ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await second.PostAsync("/auth/logout", null, ct).WaitAsync(Timeout, ct)).StatusCode);
        await UntilUnauthorizedAsync(secondOnOther, ct);
        Assert.Equal(HttpStatusCode.Unauthorized, (await second.GetAsync("/balance", ct).WaitAsync(Timeout, ct)).StatusCode);
        first.Dispose();
        second.Dispose();

        static HttpClient OnHost(BetsHost host, HttpClient signedIn)
        {
            var client = new HttpClient { BaseAddress = host.Address, Timeout = TimeSpan.FromSeconds(30) };
            client.DefaultRequestHeaders.Authorization = signedIn.DefaultRequestHeaders.Authorization;
            return client;
        }

        // The revocation reaches the other instance through pub/sub, so shortly after the response that caused it.
        static Task UntilUnauthorizedAsync(HttpClient client, CancellationToken ct) =>
            Eventually.UntilAsync(async () => (await client.GetAsync("/balance", ct).WaitAsync(Timeout, ct)).StatusCode == HttpStatusCode.Unauthorized,
                "the other instance to refuse the ended session", ct, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task BadSignInsAreRefusedWithClearProblemDetails()
    {
        var ct = TestContext.Current.CancellationToken;
        var key = Signer.RandomKey();
        var now = DateTimeOffset.UtcNow;
        var nonces = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            nonces.Add(await NonceAsync(ct));
        }

        var signed = await Signer.SignAsync([
            Signer.Request(key, nonces[0], expirationTime: Iso(now.AddMinutes(-5))),
            Signer.Request(key, nonces[1], notBefore: Iso(now.AddMinutes(10))),
            Signer.Request(key, nonces[2], domain: "evil.example"),
            Signer.Request(key, nonces[3], chainId: 5),
            Signer.Request(key, nonces[4]),
            Signer.Request(key, nonces[5]),
            Signer.Request(key, "NeverIssued123"),
        ], ct).WaitAsync(Timeout, ct);

        await Refused(signed[0].Message, signed[0].Signature, HttpStatusCode.Unauthorized, "Expired");
        await Refused(signed[1].Message, signed[1].Signature, HttpStatusCode.Unauthorized, "NotYetValid");
        await Refused(signed[2].Message, signed[2].Signature, HttpStatusCode.Unauthorized, "DomainMismatch");
        await Refused(signed[3].Message, signed[3].Signature, HttpStatusCode.Unauthorized, "ChainMismatch");
        await Refused(signed[4].Message, signed[4].HighS, HttpStatusCode.Unauthorized, "HighSSignature");

        // Reused nonce: the first redemption wins, the replay is refused.
        Assert.Equal(HttpStatusCode.OK, (await VerifyAsync(signed[5].Message, signed[5].Signature, ct)).StatusCode);
        await Refused(signed[5].Message, signed[5].Signature, HttpStatusCode.Unauthorized, "NonceMismatch");
        await Refused(signed[6].Message, signed[6].Signature, HttpStatusCode.Unauthorized, "NonceMismatch");

        await Refused(signed[4].Message.Replace("Version: 1", "Version: 2", StringComparison.Ordinal), signed[4].Signature, HttpStatusCode.BadRequest, "MalformedMessage");
        await Refused("hello", signed[4].Signature, HttpStatusCode.BadRequest, "MalformedMessage");
        await Refused(signed[4].Message, "0x1234", HttpStatusCode.UnprocessableEntity, "ContractWalletUnsupported");
        await Refused(signed[4].Message.Replace("Sign in to", "Sign in at", StringComparison.Ordinal), signed[4].Signature, HttpStatusCode.Unauthorized, "SignatureMismatch");

        async Task Refused(string message, string signature, HttpStatusCode status, string failure)
        {
            var response = await VerifyAsync(message, signature, ct);
            Assert.Equal(status, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonObject>(ct);
            Assert.Equal(failure, problem!["failure"]!.ToString());
            Assert.False(string.IsNullOrWhiteSpace(problem["detail"]?.ToString()));
            Assert.False(string.IsNullOrWhiteSpace(problem["title"]?.ToString()));
        }
    }

    [Fact]
    public async Task AMessageWhoseUriIsAnotherSiteIsRefusedAndKeepsItsNonce()
    {
        var ct = TestContext.Current.CancellationToken;
        var key = Signer.RandomKey();
        var nonce = await NonceAsync(ct);
        // Another site, the right host under another scheme or port, and a host that merely starts like ours.
        var signed = await Signer.SignAsync([
            Signer.Request(key, nonce, uri: "https://evil.example/login"),
            Signer.Request(key, nonce, uri: $"http://{BetsHost.Domain}/login"),
            Signer.Request(key, nonce, uri: $"https://{BetsHost.Domain}:8443/login"),
            Signer.Request(key, nonce, uri: $"https://{BetsHost.Domain}.evil.example/login"),
            Signer.Request(key, nonce, uri: $"https://{BetsHost.Domain}/any/page?x=1"),
        ], ct).WaitAsync(Timeout, ct);

        foreach (var other in signed.Take(4))
        {
            var response = await VerifyAsync(other.Message, other.Signature, ct);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            var problem = await response.Content.ReadFromJsonAsync<JsonObject>(ct);
            Assert.Equal("UriMismatch", problem!["failure"]!.ToString());
            Assert.Contains($"https://{BetsHost.Domain}", problem["detail"]!.ToString(), StringComparison.Ordinal);
        }

        // The refusals did not use up the nonce: the same nonce in a message for this site (any page of it) signs in.
        Assert.Equal(HttpStatusCode.OK, (await VerifyAsync(signed[4].Message, signed[4].Signature, ct)).StatusCode);
    }

    [Fact]
    public async Task AMessageIssuedFurtherInTheFutureThanTheClockSkewIsRefused()
    {
        var ct = TestContext.Current.CancellationToken;
        var key = Signer.RandomKey();
        var now = DateTimeOffset.UtcNow;
        var signed = await Signer.SignAsync([
            Signer.Request(key, await NonceAsync(ct), issuedAt: Iso(now.AddMinutes(5))),
            // A wallet whose clock runs a little ahead (within the 60 s default skew) still signs in.
            Signer.Request(key, await NonceAsync(ct), issuedAt: Iso(now.AddSeconds(20))),
        ], ct).WaitAsync(Timeout, ct);

        var future = await VerifyAsync(signed[0].Message, signed[0].Signature, ct);
        Assert.Equal(HttpStatusCode.Unauthorized, future.StatusCode);
        var problem = await future.Content.ReadFromJsonAsync<JsonObject>(ct);
        Assert.Equal("IssuedInFuture", problem!["failure"]!.ToString());
        Assert.Contains("clock", problem["detail"]!.ToString(), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.OK, (await VerifyAsync(signed[1].Message, signed[1].Signature, ct)).StatusCode);
    }

    [Fact]
    public async Task NoncesAreSingleUseKeysWithATtl()
    {
        var ct = TestContext.Current.CancellationToken;
        var nonce = await NonceAsync(ct);
        var ttl = await fixture.Client.GetDatabase().KeyTimeToLiveAsync($"nonce:{nonce}").WaitAsync(Timeout, ct);
        Assert.InRange(ttl!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(300));
    }

    [Fact]
    public async Task NoTokenAndAnUnknownTokenGetOne401ShapeWhoseTypeSaysSignInRequiredOrSessionExpired()
    {
        var ct = TestContext.Current.CancellationToken;
        var (none, signIn) = await ProblemShape.ReadAsync(await fixture.Host.Http.GetAsync("/balance", ct).WaitAsync(Timeout, ct), ct);
        using var forged = new HttpRequestMessage(HttpMethod.Get, "/bets");
        forged.Headers.Authorization = new("Bearer", "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        var (unknown, expired) = await ProblemShape.ReadAsync(await fixture.Host.Http.SendAsync(forged, ct).WaitAsync(Timeout, ct), ct);

        Assert.Equal(new ProblemShape(HttpStatusCode.Unauthorized, "application/problem+json", "Bearer", none.Members), none);
        Assert.Equal(none, unknown);
        Assert.Equal(SessionAuthentication.SignInRequiredType, signIn["type"]!.ToString());
        Assert.Equal(SessionAuthentication.SessionExpiredType, expired["type"]!.ToString());
        Assert.All(new[] { signIn, expired }, p => Assert.Contains("sign in with your wallet (POST /auth/verify)", p["detail"]!.ToString(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task HealthReportsRedisAndSqlite()
    {
        var ct = TestContext.Current.CancellationToken;
        var response = await fixture.Host.Http.GetAsync("/health", ct).WaitAsync(Timeout, ct);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task TheOpenApiDocumentDescribesTheApi()
    {
        var ct = TestContext.Current.CancellationToken;
        var doc = await fixture.Host.Http.GetFromJsonAsync<JsonObject>("/openapi/v1.json", ct).WaitAsync(Timeout, ct);
        var paths = doc!["paths"]!.AsObject();
        foreach (var path in new[] { "/auth/nonce", "/auth/verify", "/auth/logout", "/grid", "/bets", "/balance" })
        {
            Assert.True(paths.ContainsKey(path), path);
        }
    }
}
