using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json;

// Helm from the layer is a Linux x64 binary, and the publishers' file modes are Unix ones.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

namespace Platform.Hosting.Publishing.Tests;

/// <summary>
/// The validators of the publishers' outputs, shared by every test: node with ajv, kubernetes-models and the Compose
/// Specification schema (validation/), and a real Helm binary taken from the kubectl Lambda layer's layer.zip.
/// </summary>
public sealed class Tools : IAsyncLifetime
{
    public static string RepositoryRoot { get; } = FindRoot();

    public static string ValidationDirectory => Path.Combine(RepositoryRoot, "tests", "Platform.Hosting.Publishing.Tests", "validation");

    public static string ManifestSchema => Path.Combine(RepositoryRoot, "..", "shared", "reference", "aspire", "aspire-8.0.json") is var p && File.Exists(p)
        ? p
        : Path.Combine(RepositoryRoot, "..", "..", "shared", "reference", "aspire", "aspire-8.0.json");

    public string Helm { get; private set; } = string.Empty;

    private readonly string _temp = Directory.CreateTempSubdirectory("publishing-tools-").FullName;

    public async ValueTask InitializeAsync()
    {
        if (!Directory.Exists(Path.Combine(ValidationDirectory, "node_modules")))
        {
            var install = await RunAsync("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], ValidationDirectory, TimeSpan.FromMinutes(5));
            Assert.True(install.ExitCode == 0, $"npm ci failed in {ValidationDirectory}: {install.Error}");
        }

        var layer = Directory.GetFiles(Path.Combine(ValidationDirectory, "node_modules", "@aws-cdk"), "layer.zip", SearchOption.AllDirectories).Single();
        using var zip = await ZipFile.OpenReadAsync(layer, TestContext.Current.CancellationToken);
        Helm = Path.Combine(_temp, "helm");
        await zip.GetEntry("helm/helm")!.ExtractToFileAsync(Helm, TestContext.Current.CancellationToken);
        File.SetUnixFileMode(Helm, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public ValueTask DisposeAsync()
    {
        Directory.Delete(_temp, recursive: true);
        return ValueTask.CompletedTask;
    }

    /// <summary>Runs validate.mjs; the result names every violation.</summary>
    public static async Task<ProcessResult> ValidateAsync(string kind, params string[] files) =>
        await RunAsync("node", [Path.Combine(ValidationDirectory, "validate.mjs"), kind, .. files], ValidationDirectory, TimeSpan.FromSeconds(60));

    public static async Task<JsonElement> YamlToJsonAsync(string file)
    {
        var result = await ValidateAsync("tojson", file);
        Assert.Equal(0, result.ExitCode);
        return JsonDocument.Parse(result.Output).RootElement;
    }

    public async Task<ProcessResult> HelmAsync(params string[] args) => await RunAsync(Helm, args, _temp, TimeSpan.FromSeconds(60));

    public static async Task<ProcessResult> RunAsync(string file, IEnumerable<string> args, string workingDirectory, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["HELM_CACHE_HOME"] = Path.Combine(Path.GetTempPath(), "publishing-tests-helm");
        info.Environment["HELM_CONFIG_HOME"] = Path.Combine(Path.GetTempPath(), "publishing-tests-helm");
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        try
        {
            await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(timeout, TestContext.Current.CancellationToken);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish within {timeout.TotalSeconds} s.");
        }

        return new ProcessResult(process.ExitCode, await output, await error);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Platform.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Platform.sln not found above " + AppContext.BaseDirectory);
    }
}

public sealed record ProcessResult(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit {ExitCode}\n{Output}\n{Error}";
}
