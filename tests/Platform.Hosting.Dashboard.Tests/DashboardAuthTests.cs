using System.Net;

namespace Platform.Hosting.Dashboard.Tests;

/// <summary>Without the browser token nothing is served; the login URL trades the token for a cookie.</summary>
public sealed class DashboardAuthTests(DashboardFixture dashboard) : IClassFixture<DashboardFixture>
{
    public static TheoryData<string> Paths =>
    [
        "/", "/index.html", "/app.js", "/app.css", "/traces", "/api/resources", "/api/resources/x", "/api/console/x",
        "/api/logs", "/api/traces", "/api/traces/00", "/api/metrics/x", "/api/metrics/x/y", "/api/events",
        "/login", "/login?t=wrong",
    ];

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task EveryPageAndApiIsRefusedWithoutTheToken(string path)
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = dashboard.Server.FrontendUrl };
        using var response = await client.GetAsync(path, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.DoesNotContain(dashboard.Server.BrowserToken, body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CommandsAreRefusedWithoutTheToken()
    {
        using var client = new HttpClient { BaseAddress = dashboard.Server.FrontendUrl };
        using var response = await client.PostAsync("/api/resources/redis/commands/stop", null, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task WrongBearerTokenIsRefused()
    {
        using var client = new HttpClient { BaseAddress = dashboard.Server.FrontendUrl };
        client.DefaultRequestHeaders.Authorization = new("Bearer", "not-the-token");
        using var response = await client.GetAsync("/api/resources", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task LoginUrlSetsAnHttpOnlyCookieThatOpensPagesAndApi()
    {
        var cookies = new CookieContainer();
        using var client = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = dashboard.Server.FrontendUrl };
        using var login = await client.GetAsync(dashboard.Server.LoginUrl, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.Equal("/", login.Headers.Location?.OriginalString);
        var setCookie = Assert.Single(login.Headers.GetValues("Set-Cookie"));
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(dashboard.Server.BrowserToken, setCookie, StringComparison.Ordinal);

        foreach (var path in new[] { "/", "/app.js", "/app.css", "/api/resources", "/api/logs", "/api/traces" })
        {
            using var response = await client.GetAsync(path, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }
}
