namespace Bets.Api.Prices;

public static class PricesApi
{
    public static WebApplication MapPricesApi(this WebApplication app)
    {
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(20) });

        app.MapGet("/prices/latest", (PriceFeed feed) => feed.Current() is { } p
                ? Results.Text(p.Json, "application/json")
                : Results.Problem(statusCode: 503, title: "No price yet", detail: "No price has been published on price:btc:usd yet."))
            .WithTags("Prices").WithSummary("The latest aggregated BTC/USD price (the value of price:btc:usd) with its status as of now (ok or stale) and its age in ms.");

        app.Map("/ws/prices", async (HttpContext context, PriceFeed feed, PriceStreamHub hub) =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                return Results.Problem(statusCode: 400, title: "WebSocket required", detail: "Connect to /ws/prices with a WebSocket upgrade request.");
            }
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            await hub.ServeAsync(socket, () => feed.Current()?.Json, context.RequestAborted);
            return Results.Empty;
        }).WithTags("Prices").WithSummary("WebSocket stream: the current price on connect, then every published price (slow clients get only the newest).");
        return app;
    }
}
