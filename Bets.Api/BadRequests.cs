using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Bets.Api;

/// <summary>Money as the user typed it: dollars, from the integer cents the API keeps.</summary>
public static class Money
{
    public static string Dollars(long cents) =>
        (cents < 0 ? "-$" : "$") + (Math.Abs((decimal)cents) / 100m).ToString("#,0.00", CultureInfo.InvariantCulture);
}

/// <summary>
/// Turns a request the framework could not bind (malformed JSON, a string where a number belongs, an unknown field, a
/// value out of range for its type) into a validation problem keyed by the field's JSON name, in the user's words:
/// never the serializer's message, which names our internal types.
/// </summary>
public static partial class RequestErrors
{
    /// <summary>Fields that hold money: their messages speak of dollars and cents.</summary>
    private static readonly HashSet<string> MoneyFields = new(StringComparer.OrdinalIgnoreCase) { "stake", "dailyLimit" };

    public static Dictionary<string, string[]> Of(JsonException e)
    {
        if (UnmappedMember().Match(e.Message) is { Success: true } unmapped)
        {
            var name = unmapped.Groups[1].Value;
            return new() { [name] = [$"'{name}' is not a field of this request."] };
        }
        if (MissingRequired().Match(e.Message) is { Success: true } missing)
        {
            return missing.Groups[1].Value.Split(", ").Select(n => n.Trim('\'')).ToDictionary(n => n, n => new[] { $"'{n}' is required." });
        }
        var field = e.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : null;
        // The reader's own exception inside: the text is not JSON at all.
        if (e.InnerException is JsonException)
        {
            return new() { ["body"] = [$"The body is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1})."] };
        }
        if (field is null)
        {
            return new() { ["body"] = ["The body must be a JSON object with this request's fields."] };
        }

        return new()
        {
            [field] = [MoneyFields.Contains(field)
                ? $"'{field}' must be a whole number of cents written as a JSON number (500 is {Money.Dollars(500)})."
                : $"'{field}' has the wrong type or is out of range."],
        };
    }

    public static Dictionary<string, string[]> Of(BadHttpRequestException e)
    {
        if (e.InnerException is JsonException json)
        {
            return Of(json);
        }

        if (QueryOrRoute().Match(e.Message) is { Success: true } m)
        {
            return new() { [m.Groups[1].Value] = [$"'{m.Groups[2].Value}' is not a valid value for '{m.Groups[1].Value}'."] };
        }
        var reason = e.StatusCode == 415 ? "The body must be JSON (Content-Type: application/json)."
            : e.Message.Contains("no body was provided", StringComparison.Ordinal) || e.Message.Contains("was not provided from body", StringComparison.Ordinal)
                ? "A JSON body is required." : "The request could not be read.";
        return new() { ["body"] = [reason] };
    }

    public static ValidationProblem Problem(IDictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, title: "The request is not valid", type: Problems.InvalidRequest);

    // The serializer's messages are the only place these names appear; the field names are the user's, the type is ours.
    [GeneratedRegex(@"^The JSON property '([^']+)' could not be mapped")]
    private static partial Regex UnmappedMember();

    [GeneratedRegex(@"missing required properties including: (.+?)\.?$")]
    private static partial Regex MissingRequired();

    [GeneratedRegex(@"^Failed to bind parameter ""\S+ (\w+)"" from ""(.*)""")]
    private static partial Regex QueryOrRoute();
}

/// <summary>A request the framework could not bind is the client's mistake: a 400 problem and a Warning, not an Error.</summary>
internal sealed partial class BadRequestHandler(IProblemDetailsService problems, ILogger<BadRequestHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad || context.Response.HasStarted)
        {
            return false;
        }

        var errors = RequestErrors.Of(bad);
        LogBadRequest(logger, context.Request.Method, context.Request.Path, string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(' ', e.Value)}")));
        // 400, or 415 for a body that is not declared as JSON.
        context.Response.StatusCode = bad.StatusCode;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new HttpValidationProblemDetails(errors) { Status = bad.StatusCode, Title = "The request is not valid", Type = Problems.InvalidRequest },
        });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Bad request {Method} {Path}: {Errors}")]
    private static partial void LogBadRequest(ILogger logger, string method, string path, string errors);
}
