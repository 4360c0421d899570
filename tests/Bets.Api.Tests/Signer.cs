using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Bets.Api.Tests;

public sealed record SignedMessage(string Address, string Message, string Signature, string HighS);

/// <summary>Signs with ethers under node: an implementation independent of the one under test.</summary>
public static class Signer
{
    public static string RandomKey() => "0x" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    public static async Task<IReadOnlyList<SignedMessage>> SignAsync(IEnumerable<object> requests, CancellationToken ct)
    {
        var folder = AppContext.BaseDirectory;
        if (!Directory.Exists(Path.Combine(folder, "node_modules", "ethers")))
        {
            // The test runs from bin/…; node_modules lives in the project folder (./platform runs npm ci there).
            folder = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", ".."));
        }
        var psi = new ProcessStartInfo("node", Path.Combine(folder, "sign.mjs"))
        {
            WorkingDirectory = folder,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(psi)!;
        await process.StandardInput.WriteAsync(JsonSerializer.Serialize(requests)).WaitAsync(ct);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct).WaitAsync(TimeSpan.FromSeconds(60), ct);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException("node sign.mjs failed: " + await stderr);
        }

        return JsonNode.Parse(await stdout)!.AsArray()
            .Select(n => new SignedMessage((string)n!["address"]!, (string)n["message"]!, (string)n["signature"]!, (string)n["highS"]!))
            .ToList();
    }

    public static object Request(string key, string nonce, string domain = BetsHost.Domain, long chainId = 1,
        string? expirationTime = null, string? notBefore = null, string? issuedAt = null, string? uri = null) => new Dictionary<string, object?>
    {
        ["privateKey"] = key,
        ["domain"] = domain,
        ["uri"] = uri ?? $"https://{domain}/login",
        ["chainId"] = chainId,
        ["nonce"] = nonce,
        ["issuedAt"] = issuedAt ?? DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture),
        ["expirationTime"] = expirationTime,
        ["notBefore"] = notBefore,
        ["statement"] = "Sign in to the BTC grid.",
    };
}
