using System.Text.Json;

namespace Platform.Hosting.Orchestration;

/// <summary>
/// Generated parameter values, kept like user secrets (a flat JSON object of configuration keys) in
/// <c>&lt;state&gt;/secrets.json</c>, readable only by the owner, so a persistent database keeps its password across runs.
/// </summary>
internal sealed class SecretStore(string path)
{
    private readonly Lock _lock = new();

    public string Path { get; } = path;

    public string GetOrAdd(string key, Func<string> generate)
    {
        lock (_lock)
        {
            var values = Load();
            if (values.TryGetValue(key, out var existing) && !string.IsNullOrEmpty(existing))
            {
                return existing;
            }

            var value = generate();
            values[key] = value;
            Save(values);
            return value;
        }
    }

    private Dictionary<string, string> Load()
    {
        if (!File.Exists(Path))
        {
            return new(StringComparer.OrdinalIgnoreCase);
        }

        try
        {
            return new(JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(Path)) ?? [], StringComparer.OrdinalIgnoreCase);
        }
        catch (JsonException ex)
        {
            throw new DistributedApplicationException($"The generated secrets file {Path} is not valid JSON ({ex.Message}); fix or delete it.", ex);
        }
    }

    private void Save(Dictionary<string, string> values)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        var temp = Path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(values, new JsonSerializerOptions { WriteIndented = true }));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.Move(temp, Path, overwrite: true);
    }
}
