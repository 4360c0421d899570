using System.Reflection;
using System.Xml.Linq;
using Microsoft.Extensions.Hosting;
using Platform.Hosting.ApplicationModel;
using Xunit;

namespace Platform.Hosting.Testing;

/// <summary>
/// Runs an AppHost's model in a test: the AppHost's own Program runs up to <c>Build()</c>, then the test may change
/// resources and builds the application with random ports and a throw-away state folder.
/// </summary>
public static class DistributedApplicationTestingBuilder
{
    /// <summary>How long <c>StartAsync</c> waits for every resource to become healthy before it throws a report.</summary>
    public static TimeSpan DefaultStartTimeout { get; set; } = TimeSpan.FromSeconds(90);

    public static Task<IDistributedApplicationTestingBuilder> CreateAsync<TEntryPoint>(CancellationToken cancellationToken = default)
        where TEntryPoint : class, IProjectMetadata, new() =>
        CreateAsync<TEntryPoint>([], (_, _) => { }, cancellationToken);

    public static Task<IDistributedApplicationTestingBuilder> CreateAsync<TEntryPoint>(string[] args, CancellationToken cancellationToken = default)
        where TEntryPoint : class, IProjectMetadata, new() =>
        CreateAsync<TEntryPoint>(args, (_, _) => { }, cancellationToken);

    /// <param name="configureBuilder">Changes the options (ports, state folder, start timeout…) and host settings before the AppHost's Program runs.</param>
    public static async Task<IDistributedApplicationTestingBuilder> CreateAsync<TEntryPoint>(
        string[] args,
        Action<DistributedApplicationOptions, HostApplicationBuilderSettings> configureBuilder,
        CancellationToken cancellationToken = default)
        where TEntryPoint : class, IProjectMetadata, new()
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(configureBuilder);
        var projectPath = new TEntryPoint().ProjectPath;
        var assembly = LoadAppHostAssembly(projectPath);
        var entryPoint = assembly.EntryPoint
            ?? throw new InvalidOperationException($"{assembly.GetName().Name} has no entry point; is {projectPath} an AppHost?");

        var interception = new BuilderInterception
        {
            AppHostAssembly = assembly,
            Configure = (options, settings) =>
            {
                ApplyTestDefaults(options, settings);
                configureBuilder(options, settings);
            },
        };

        var previous = BuilderInterception.Current.Value;
        BuilderInterception.Current.Value = interception;
        try
        {
            var result = entryPoint.Invoke(null, entryPoint.GetParameters().Length == 0 ? [] : [args]);
            if (result is Task task)
            {
                await task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (IsInterception(ex))
        {
        }
        finally
        {
            BuilderInterception.Current.Value = previous;
        }

        var builder = interception.Builder
            ?? throw new InvalidOperationException($"The entry point of {assembly.GetName().Name} returned without calling DistributedApplication.CreateBuilder(args)...Build().");
        return new TestingBuilder(builder);
    }

    /// <summary>An empty model with the test defaults, for tests that describe their own resources.</summary>
    public static IDistributedApplicationTestingBuilder Create(params string[] args) =>
        Create(args, (_, _) => { });

    public static IDistributedApplicationTestingBuilder Create(string[] args, Action<DistributedApplicationOptions, HostApplicationBuilderSettings> configureBuilder)
    {
        ArgumentNullException.ThrowIfNull(configureBuilder);
        var options = new DistributedApplicationOptions { Args = args, AppHostDirectory = AppContext.BaseDirectory };
        var settings = new HostApplicationBuilderSettings();
        ApplyTestDefaults(options, settings);
        configureBuilder(options, settings);
        return new TestingBuilder(new DistributedApplicationBuilder(options, Assembly.GetEntryAssembly(), s =>
        {
            s.EnvironmentName = settings.EnvironmentName ?? s.EnvironmentName;
        }));
    }

    private static void ApplyTestDefaults(DistributedApplicationOptions options, HostApplicationBuilderSettings settings)
    {
        // Created when the application starts, so builders that never start leave nothing behind.
        options.StateDirectory = Path.Combine(Path.GetTempPath(), "platform-test-" + Guid.NewGuid().ToString("N")[..12]);
        options.ConsoleLogging = false;
        options.DeleteStateOnDispose = true;
        options.RandomizePorts = true;
        options.PrintSummary = false;
        options.StopTimeout = TimeSpan.FromSeconds(3);
        options.WaitForResourcesOnStart = DefaultStartTimeout;
        var output = TestContext.Current.TestOutputHelper;
        if (output is not null)
        {
            options.LogSink = line => output.WriteLine(line.ToString());
        }

        settings.EnvironmentName ??= Environments.Development;
    }

    private static bool IsInterception(Exception ex) =>
        ex is BuilderInterception.InterceptedException || (ex is TargetInvocationException { InnerException: BuilderInterception.InterceptedException });

    /// <summary>The AppHost project is referenced by the test project, so its assembly sits beside the tests.</summary>
    private static Assembly LoadAppHostAssembly(string projectPath)
    {
        var name = Path.GetFileNameWithoutExtension(projectPath);
        if (File.Exists(projectPath))
        {
            try
            {
                name = XDocument.Load(projectPath).Descendants("AssemblyName").LastOrDefault()?.Value.Trim() is { Length: > 0 } n ? n : name;
            }
            catch (System.Xml.XmlException)
            {
            }
        }

        try
        {
            return Assembly.Load(new AssemblyName(name));
        }
        catch (FileNotFoundException ex)
        {
            throw new InvalidOperationException($"The AppHost assembly '{name}' was not found: reference {projectPath} from the test project.", ex);
        }
    }
}
