using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ServiceDefaults.Tests;

public sealed class HealthEndpointTests
{
    private static readonly HttpClient Http = new() { Timeout = TestHost.Timeout };

    private static Task<TestHost> StartWithChecks(string environment, HealthStatus dependency, HealthStatus live = HealthStatus.Healthy) =>
        TestHost.StartAsync(
            b => b.Services.AddHealthChecks()
                .AddCheck("dependency", () => new HealthCheckResult(dependency, "redis is down"))
                .AddCheck("heart", () => new HealthCheckResult(live, "stuck"), ["live"]),
            environment: environment);

    [Fact]
    public async Task HealthIsHealthyWhenEveryCheckIsHealthy()
    {
        await using var host = await StartWithChecks("Production", HealthStatus.Healthy);
        var response = await Http.GetAsync(new Uri(host.Address, "/health"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task HealthIs503WhileAliveStays200WhenOnlyADependencyIsUnhealthy()
    {
        await using var host = await StartWithChecks("Production", HealthStatus.Unhealthy);
        var health = await Http.GetAsync(new Uri(host.Address, "/health"), TestContext.Current.CancellationToken);
        var alive = await Http.GetAsync(new Uri(host.Address, "/alive"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
    }

    [Fact]
    public async Task AliveIs503WhenALivenessCheckFails()
    {
        await using var host = await StartWithChecks("Production", HealthStatus.Healthy, live: HealthStatus.Unhealthy);
        var alive = await Http.GetAsync(new Uri(host.Address, "/alive"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, alive.StatusCode);
    }

    [Fact]
    public async Task OutsideDevelopmentHealthRevealsOnlyTheStatusWord()
    {
        await using var host = await StartWithChecks("Production", HealthStatus.Unhealthy);
        var response = await Http.GetAsync(new Uri(host.Address, "/health"), TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Equal("Unhealthy", text);
        Assert.DoesNotContain("redis", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("dependency", text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task InDevelopmentHealthListsEachCheckWithItsDescription()
    {
        await using var host = await StartWithChecks("Development", HealthStatus.Unhealthy);
        var response = await Http.GetAsync(new Uri(host.Address, "/health"), TestContext.Current.CancellationToken);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var checks = json.RootElement.GetProperty("checks");
        Assert.Equal("Unhealthy", checks.GetProperty("dependency").GetProperty("status").GetString());
        Assert.Equal("redis is down", checks.GetProperty("dependency").GetProperty("description").GetString());
        Assert.Equal("Healthy", checks.GetProperty("self").GetProperty("status").GetString());
    }

    [Fact]
    public async Task UnhandledExceptionBecomesProblemDetails()
    {
        await using var host = await TestHost.StartAsync(
            map: app => app.MapGet("/boom", string () => throw new InvalidOperationException("secret detail")),
            environment: "Production");
        var response = await Http.GetAsync(new Uri(host.Address, "/boom"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("secret detail", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Development")]
    [InlineData("Production")]
    public async Task ApplicationExceptionHandlersDecideTheStatusInEveryEnvironment(string environment)
    {
        await using var host = await TestHost.StartAsync(
            b => b.Services.AddExceptionHandler<TimeoutAs503>(),
            map: app => app.MapGet("/slow", string () => throw new TimeoutException("backend")),
            environment: environment);
        var response = await Http.GetAsync(new Uri(host.Address, "/slow"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    private sealed class TimeoutAs503(Microsoft.AspNetCore.Http.IProblemDetailsService problems) : Microsoft.AspNetCore.Diagnostics.IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(Microsoft.AspNetCore.Http.HttpContext context, Exception exception, CancellationToken cancellationToken)
        {
            if (exception is not TimeoutException)
            {
                return false;
            }

            context.Response.StatusCode = 503;
            return await problems.TryWriteAsync(new() { HttpContext = context, ProblemDetails = { Status = 503, Title = "Try again" } });
        }
    }
}
