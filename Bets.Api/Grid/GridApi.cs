using Platform.Redis.Failover;

namespace Bets.Api.Grid;

public static class GridApi
{
    public static WebApplication MapGridApi(this WebApplication app)
    {
        app.MapGet("/grid", async (GridService grid, CancellationToken ct) =>
                await grid.GridJsonAsync(ct) is { } json
                    ? Results.Text(json, "application/json")
                    : Results.Problem(statusCode: 503, title: "No price yet", detail: "The grid needs a price on price:btc:usd.",
                        type: Problems.StalePrice))
            .RequireRedis()
            .WithTags("Grid")
            .WithSummary("Price bands x time windows with multiplier (1 - house edge) / P(touch) for each cell.")
            .Produces<GridSnapshot>()
            .ProducesProblem(503);
        return app;
    }
}
