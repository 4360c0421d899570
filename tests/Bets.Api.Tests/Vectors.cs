using System.Text.Json.Nodes;

namespace Bets.Api.Tests;

/// <summary>Loads the reference SIWE vectors (copied verbatim from shared/reference/siwe) from the output folder.</summary>
internal static class Vectors
{
    public static JsonObject Load(string name) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Vectors", name)))!.AsObject();

    public static TheoryData<string> Keys(string name)
    {
        var data = new TheoryData<string>();
        foreach (var (key, _) in Load(name))
        {
            data.Add(key);
        }

        return data;
    }
}

internal sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;
    public override DateTimeOffset GetUtcNow() => Now;
}
