using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Platform.Hosting.Dashboard.Resources;
using Platform.Hosting.Dashboard.Telemetry;

namespace Platform.Hosting.Dashboard.Api;

/// <summary>The JSON API the pages use (and tests and scripts can use with <c>Authorization: Bearer &lt;token&gt;</c>).</summary>
internal static class DashboardApi
{
    private const string Masked = "••••••••";

    public static void MapDashboardApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api");
        api.MapGet("/resources", GetResources);
        api.MapGet("/resources/{name}", GetResource);
        api.MapPost("/resources/{name}/commands/{command}", ExecuteCommandAsync);
        api.MapGet("/console/{name}", GetConsole);
        api.MapGet("/logs", GetLogs);
        api.MapGet("/traces", (TelemetryStore store, string? resource, string? text, bool? errors, int? limit) =>
            TypedResults.Ok(store.GetTraces(resource, text, errors ?? false, limit ?? 200)));
        api.MapGet("/traces/{traceId}", Results<Ok<TraceDetail>, NotFound> (TelemetryStore store, string traceId) =>
            store.GetTrace(traceId) is { } trace ? TypedResults.Ok(trace) : TypedResults.NotFound());
        api.MapGet("/metrics/{resource}", (TelemetryStore store, string resource) => TypedResults.Ok(store.GetInstruments(resource)));
        api.MapGet("/metrics/{resource}/{instrument}", Results<Ok<InstrumentData>, NotFound> (TelemetryStore store, string resource, string instrument) =>
            store.GetInstrument(resource, instrument) is { } data ? TypedResults.Ok(data) : TypedResults.NotFound());
        api.MapGet("/events", LiveUpdates.StreamAsync);
    }

    /// <summary>The orchestrator's resources, then services that send telemetry without being one of them.</summary>
    private static Ok<List<DashboardResource>> GetResources(ResourceServiceHolder holder, TelemetryStore store)
    {
        var resources = holder.Service?.GetResources().Select(r => Mask(r, reveal: false)).ToList() ?? [];
        var known = resources.Select(r => r.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var t in store.GetResources().Where(t => !known.Contains(t.Name)))
        {
            resources.Add(new DashboardResource(t.Name, "Telemetry", "Unknown", null, null, null, null, null, [],
                [.. t.Instances.Where(i => i.Length > 0).Select(i => new DashboardReplica(i, "Unknown", null, null, null, null))],
                [], null, [], []));
        }

        return TypedResults.Ok(resources);
    }

    private static Results<Ok<DashboardResource>, NotFound> GetResource(ResourceServiceHolder holder, string name, bool? reveal)
    {
        var resource = holder.Service?.GetResources().FirstOrDefault(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase));
        return resource is null ? TypedResults.NotFound() : TypedResults.Ok(Mask(resource, reveal ?? false));
    }

    private static DashboardResource Mask(DashboardResource resource, bool reveal) => reveal ? resource : resource with
    {
        Environment = [.. resource.Environment.Select(e => e.IsSecret ? e with { Value = Masked } : e)],
        ConnectionString = resource.ConnectionString is null ? null : Masked,
    };

    private static async Task<Results<Accepted, NotFound<ProblemDetails>, BadRequest<ProblemDetails>, Conflict<ProblemDetails>>> ExecuteCommandAsync(
        ResourceServiceHolder holder, string name, string command, CancellationToken cancellationToken)
    {
        if (holder.Service is not { } service || !service.GetResources().Any(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase)))
        {
            return TypedResults.NotFound(Problem(404, $"There is no resource named '{name}'."));
        }

        if (command is not (ResourceCommands.Start or ResourceCommands.Stop or ResourceCommands.Restart))
        {
            return TypedResults.BadRequest(Problem(400, $"Unknown command '{command}'; use start, stop or restart."));
        }

        try
        {
            await service.ExecuteCommandAsync(name, command, cancellationToken);
        }
        catch (InvalidOperationException e)
        {
            return TypedResults.Conflict(Problem(409, e.Message));
        }

        return TypedResults.Accepted((string?)null);
    }

    private static Results<Ok<IReadOnlyList<ConsoleLine>>, NotFound> GetConsole(ResourceServiceHolder holder, string name, long? after)
    {
        if (holder.Service is not { } service)
        {
            return TypedResults.NotFound();
        }

        try
        {
            var lines = service.GetConsoleLogs(name);
            return TypedResults.Ok(after is { } a ? (IReadOnlyList<ConsoleLine>)[.. lines.Where(l => l.Sequence > a)] : lines);
        }
        catch (KeyNotFoundException)
        {
            return TypedResults.NotFound();
        }
    }

    private static Results<Ok<IReadOnlyList<LogData>>, BadRequest<ProblemDetails>> GetLogs(
        TelemetryStore store, string? resource, string? level, string? text, string? traceId, long? after, int? limit)
    {
        int? minSeverity = level?.ToLowerInvariant() switch
        {
            null or "" or "all" => null,
            "trace" => 1,
            "debug" => 5,
            "information" or "info" => 9,
            "warning" or "warn" => 13,
            "error" => 17,
            "critical" or "fatal" => 21,
            _ => -1,
        };
        if (minSeverity == -1)
        {
            return TypedResults.BadRequest(Problem(400, $"Unknown level '{level}'."));
        }

        return TypedResults.Ok(store.GetLogs(new LogQuery(resource, minSeverity, text, traceId, after ?? 0, limit ?? 500)));
    }

    private static ProblemDetails Problem(int status, string detail) => new() { Status = status, Detail = detail };

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
}
