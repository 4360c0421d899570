using System.Diagnostics;
using System.Text;
using Platform.TestSupport;

namespace Web.Frontend.Tests.Infrastructure;

/// <summary>
/// A project started the way the AppHost starts it: <c>dotnet &lt;dll&gt;</c> with ASPNETCORE_URLS and Aspire-style
/// environment (ConnectionStrings__*, services__*). Output is kept for failure messages; disposal kills the process tree.
/// </summary>
public sealed class ProjectProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ProjectProcess(string name, Process process, Uri url)
    {
        Name = name;
        _process = process;
        Url = url;
    }

    public string Name { get; }

    public Uri Url { get; }

    public string Output
    {
        get { lock (_output) { return _output.ToString(); } }
    }

    public static async Task<ProjectProcess> StartAsync(string project, IDictionary<string, string> environment, CancellationToken ct, int? port = null)
    {
        var url = new Uri($"http://127.0.0.1:{port ?? Repo.FreePort()}");
        var info = new ProcessStartInfo("dotnet", [Repo.Dll(project)])
        {
            WorkingDirectory = Path.GetDirectoryName(Repo.Dll(project))!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["ASPNETCORE_URLS"] = url.ToString();
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        info.Environment["DOTNET_ENVIRONMENT"] = "Development";
        info.Environment["OTEL_SERVICE_NAME"] = project;
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {project}");
        var started = new ProjectProcess(project, process, url);
        process.OutputDataReceived += (_, e) => started.Append(e.Data);
        process.ErrorDataReceived += (_, e) => started.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await started.WaitHealthyAsync(ct);
        }
        catch
        {
            await started.DisposeAsync();
            throw;
        }

        return started;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            if (_output.Length < 200_000)
            {
                _output.AppendLine(line);
            }
        }
    }

    private async Task WaitHealthyAsync(CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        await Eventually.UntilAsync(async () =>
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode}:\n{Output}");
            }

            using var response = await http.GetAsync(new Uri(Url, "/health"), ct);
            return response.IsSuccessStatusCode;
        }, $"{Name} to become healthy", ct, TimeSpan.FromSeconds(60), () => Output, e => e is HttpRequestException or TaskCanceledException,
            TimeSpan.FromMilliseconds(200));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }

        _process.Dispose();
    }
}
