using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Platform.Sessions.Tests;

/// <summary>The handler on a real service container and HTTP context, with a validator that knows one token.</summary>
public sealed class SessionAuthenticationHandlerTests : IDisposable
{
    private const string Known = "known-token";
    private const string SignIn = "sign in at POST /test/sessions";
    private readonly ServiceProvider _services;
    private readonly List<IServiceScope> _requests = [];

    public SessionAuthenticationHandlerTests()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddProblemDetails();
        services.AddSessionAuthentication<OneTokenValidator>(o =>
        {
            o.SignIn = SignIn;
            o.QueryTokenPaths.Add("/hubs");
            o.ProblemExtensions["code"] = "unauthorized";
        });
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
    }

    public void Dispose()
    {
        foreach (var request in _requests)
        {
            request.Dispose();
        }

        _services.Dispose();
    }

    [Fact]
    public async Task AKnownBearerTokenSignsInWithTheValidatorsClaimsAndKeepsTheToken()
    {
        var context = Request("/api/things", bearer: Known);

        var result = await context.AuthenticateAsync();

        Assert.True(result.Succeeded);
        Assert.Equal(SessionAuthentication.Scheme, result.Principal!.Identity!.AuthenticationType);
        Assert.Equal("user-1", result.Principal.FindFirstValue(ClaimTypes.NameIdentifier));
        Assert.Equal(Known, await context.GetTokenAsync(SessionAuthentication.Scheme, SessionAuthentication.AccessToken));
    }

    [Fact]
    public async Task TheBearerSchemeNameIsReadWhateverItsCase()
    {
        var context = Request("/api/things");
        context.Request.Headers.Authorization = $"bearer {Known}";

        Assert.True((await context.AuthenticateAsync()).Succeeded);
    }

    [Fact]
    public async Task NoTokenIsAnonymousAndAnUnknownTokenFails()
    {
        Assert.True((await Request("/api/things").AuthenticateAsync()).None);
        Assert.NotNull((await Request("/api/things", bearer: "made-up").AuthenticateAsync()).Failure);
    }

    [Fact]
    public async Task TheAccessTokenQueryIsReadOnlyUnderTheConfiguredPaths()
    {
        Assert.True((await Request($"/hubs/sync/negotiate?access_token={Known}").AuthenticateAsync()).Succeeded);
        Assert.True((await Request($"/api/things?access_token={Known}").AuthenticateAsync()).None);
        Assert.True((await Request($"/hubsx?access_token={Known}").AuthenticateAsync()).None);
    }

    [Fact]
    public async Task TheHeaderWinsOverTheQuery()
    {
        var result = await Request($"/hubs/sync?access_token={Known}", bearer: "made-up").AuthenticateAsync();

        Assert.NotNull(result.Failure);
    }

    [Fact]
    public async Task WithoutATokenTheChallengeIsA401ProblemSayingSignInRequiredAndWhere()
    {
        var (context, problem) = await ChallengeAsync(Request("/api/things"));

        Assert.Equal(StatusCodes.Status401Unauthorized, context.Response.StatusCode);
        Assert.Equal("Bearer", context.Response.Headers.WWWAuthenticate.ToString());
        Assert.StartsWith("application/problem+json", context.Response.ContentType, StringComparison.Ordinal);
        Assert.Equal(SessionAuthentication.SignInRequiredType, problem.GetProperty("type").GetString());
        Assert.Equal("Sign-in required", problem.GetProperty("title").GetString());
        Assert.Equal($"This needs a session: {SignIn}, then send its token as 'Authorization: Bearer <token>'.", problem.GetProperty("detail").GetString());
        Assert.Equal(401, problem.GetProperty("status").GetInt32());
        Assert.Equal("unauthorized", problem.GetProperty("code").GetString());
    }

    [Fact]
    public async Task WithAnUnknownTokenTheChallengeIsA401ProblemSayingTheSessionExpired()
    {
        var (context, problem) = await ChallengeAsync(Request("/api/things", bearer: "made-up"));

        Assert.Equal(StatusCodes.Status401Unauthorized, context.Response.StatusCode);
        Assert.Equal("Bearer error=\"invalid_token\"", context.Response.Headers.WWWAuthenticate.ToString());
        Assert.Equal(SessionAuthentication.SessionExpiredType, problem.GetProperty("type").GetString());
        Assert.Equal("Session expired", problem.GetProperty("title").GetString());
        Assert.Equal($"Your session has expired or was signed out: {SignIn} to get a new one.", problem.GetProperty("detail").GetString());
        Assert.Equal("unauthorized", problem.GetProperty("code").GetString());
    }

    [Fact]
    public async Task BothChallengesHaveTheSameMembers()
    {
        var (_, signIn) = await ChallengeAsync(Request("/api/things"));
        var (_, expired) = await ChallengeAsync(Request("/api/things", bearer: "made-up"));

        Assert.Equal(Members(signIn), Members(expired));
    }

    [Fact]
    public async Task OnAHubPathTheSignInRequiredDetailAlsoNamesTheQueryParameter()
    {
        var (_, problem) = await ChallengeAsync(Request("/hubs/sync/negotiate"));

        Assert.Contains("the 'access_token' query parameter", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AServiceThatDoesNotSayWhereToSignInDoesNotStart()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSessionAuthentication<OneTokenValidator>(_ => { });
        using var host = builder.Build();

        var refused = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("SignIn", refused.Message, StringComparison.Ordinal);
    }

    private DefaultHttpContext Request(string pathAndQuery, string? bearer = null)
    {
        // A scope per request, as ASP.NET Core makes one: authentication handlers live for one request.
        var scope = _services.CreateScope();
        _requests.Add(scope);
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        var query = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        context.Request.Path = query < 0 ? pathAndQuery : pathAndQuery[..query];
        context.Request.QueryString = query < 0 ? QueryString.Empty : new QueryString(pathAndQuery[query..]);
        if (bearer is not null)
        {
            context.Request.Headers.Authorization = $"Bearer {bearer}";
        }

        context.Response.Body = new MemoryStream();
        return context;
    }

    private static async Task<(HttpContext Context, JsonElement Problem)> ChallengeAsync(HttpContext context)
    {
        await context.ChallengeAsync();
        context.Response.Body.Position = 0;
        using var document = await JsonDocument.ParseAsync(context.Response.Body, cancellationToken: TestContext.Current.CancellationToken);
        return (context, document.RootElement.Clone());
    }

    private static string[] Members(JsonElement problem) => [.. problem.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal)];

    private sealed class OneTokenValidator : ISessionValidator
    {
        public ValueTask<IEnumerable<Claim>?> ValidateAsync(string token, CancellationToken cancellationToken) =>
            ValueTask.FromResult<IEnumerable<Claim>?>(token == Known ? [new Claim(ClaimTypes.NameIdentifier, "user-1")] : null);
    }
}
