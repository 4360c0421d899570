using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace Platform.TestSupport;

/// <summary>What a service answers, through Platform.Redis.Failover's breaker, to a request that needs Redis while it is out.</summary>
public static class RedisOutageAnswers
{
    /// <summary>
    /// Asserts that <paramref name="response"/> is the breaker's refusal: 503 with <c>Retry-After: 1</c> and a problem
    /// detail of status 503 whose <paramref name="member"/> is <paramref name="value"/>, in the service's own vocabulary
    /// (Bets.Api's <c>type</c>, Sync.Api's <c>code</c>). Disposes the response.
    /// </summary>
    public static async Task AssertRefusedAsync(HttpResponseMessage response, string member, string value)
    {
        ArgumentNullException.ThrowIfNull(response);
        using (response)
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
            Assert.Equal(value, problem[member]?.ToString());
            Assert.Equal(503, (int)problem["status"]!);
        }
    }
}
