using System.ComponentModel.DataAnnotations;

namespace Bets.Api.Prices;

/// <summary>When the feed counts as stale. Bound from section "Grid", where the setting has always been documented.</summary>
public sealed class PriceFeedOptions
{
    public const string Section = "Grid";

    /// <summary>A price older than this, or published with status "stale", is stale: placement pauses, the grid is not
    /// bettable, the stream and <c>/prices/latest</c> say so and the health check reports Degraded.</summary>
    [Range(1, 3600)] public int StaleAfterSeconds { get; set; } = 10;
}

/// <summary>The latest price as of now: the snapshot, its age, and whether it is stale.</summary>
public sealed record PriceReading(PriceSnapshot Snapshot, long AgeMs, bool Stale)
{
    public decimal Price => Snapshot.Price;
    public string Status => Stale ? "stale" : "ok";

    /// <summary>The published message with the status as of now and its age: what <c>/prices/latest</c> and the stream
    /// send when they speak of a price they did not just receive.</summary>
    public string Json
    {
        get
        {
            var node = System.Text.Json.Nodes.JsonNode.Parse(Snapshot.Json)!.AsObject();
            node["status"] = Status;
            node["ageMs"] = AgeMs;
            return node.ToJsonString();
        }
    }
}
