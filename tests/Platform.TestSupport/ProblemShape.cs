using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Platform.TestSupport;

/// <summary>
/// What a client can branch on in an error answer, without its wording: the status, the media type, the
/// <c>WWW-Authenticate</c> scheme and the names of the problem's members. Two answers of one shape differ only in values.
/// </summary>
public sealed record ProblemShape(HttpStatusCode Status, string? MediaType, string? Challenge, string Members)
{
    /// <summary>Reads the answer's shape and its problem document, and disposes the answer.</summary>
    public static async Task<(ProblemShape Shape, JsonObject Problem)> ReadAsync(HttpResponseMessage response, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(response);
        using (response)
        {
            var problem = await response.Content.ReadFromJsonAsync<JsonObject>(ct) ?? [];
            var shape = new ProblemShape(response.StatusCode, response.Content.Headers.ContentType?.MediaType,
                response.Headers.WwwAuthenticate.SingleOrDefault()?.Scheme, string.Join(',', problem.Select(p => p.Key).Order(StringComparer.Ordinal)));
            return (shape, problem);
        }
    }
}
