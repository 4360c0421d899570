using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Platform.Hosting.ApplicationModel;
using Platform.Hosting.Orchestration;

namespace Platform.Hosting;

internal sealed class DistributedApplicationBuilder : IDistributedApplicationBuilder
{
    private readonly HostApplicationBuilder _host;
    private readonly ResourceCollection _resources = new();

    public DistributedApplicationBuilder(DistributedApplicationOptions options, Assembly? appHostAssembly = null, Action<HostApplicationBuilderSettings>? configureHost = null)
    {
        Options = options;
        AppHostDirectory = options.AppHostDirectory ?? FindAppHostDirectory(appHostAssembly ?? Assembly.GetEntryAssembly());
        options.AppHostDirectory = AppHostDirectory;
        options.ProjectConfiguration ??= (appHostAssembly ?? Assembly.GetEntryAssembly())?.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";

        var args = options.Args;
        var publisher = ArgValue(args, "--publisher");
        var outputPath = ArgValue(args, "--output-path");
        ExecutionContext = publisher is null
            ? new DistributedApplicationExecutionContext(DistributedApplicationOperation.Run)
            : new DistributedApplicationExecutionContext(DistributedApplicationOperation.Publish, publisher, outputPath is null ? null : Path.GetFullPath(outputPath));

        var settings = new HostApplicationBuilderSettings
        {
            Args = args,
            ContentRootPath = AppHostDirectory,
            ApplicationName = (appHostAssembly ?? Assembly.GetEntryAssembly())?.GetName().Name,
        };
        configureHost?.Invoke(settings);
        _host = new HostApplicationBuilder(settings);
        if (!options.ConsoleLogging)
        {
            _host.Logging.ClearProviders();
        }

        else
        {
            _host.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
                o.ColorBehavior = LoggerColorBehavior.Default;
            });
        }
        _host.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        // AppHost:StateDirectory (e.g. AppHost__StateDirectory=/tmp/x) moves data, logs and secrets elsewhere.
        options.StateDirectory ??= _host.Configuration["AppHost:StateDirectory"] is { Length: > 0 } configured
            ? Path.GetFullPath(configured, AppHostDirectory)
            : Path.Combine(AppHostDirectory, ".state");
        if (options.OtlpEndpoint is null && Uri.TryCreate(_host.Configuration["AppHost:OtlpEndpointUrl"], UriKind.Absolute, out var otlp))
        {
            options.OtlpEndpoint = otlp;
        }

        _host.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
    }

    public DistributedApplicationOptions Options { get; }

    public ConfigurationManager Configuration => _host.Configuration;

    public IHostEnvironment Environment => _host.Environment;

    public IServiceCollection Services => _host.Services;

    public DistributedApplicationExecutionContext ExecutionContext { get; }

    public string AppHostDirectory { get; }

    public string StateDirectory => Options.StateDirectory!;

    public IResourceCollection Resources => _resources;

    public IResourceBuilder<T> AddResource<T>(T resource) where T : IResource
    {
        _resources.Add(resource);
        return CreateResourceBuilder(resource);
    }

    public IResourceBuilder<T> CreateResourceBuilder<T>(T resource) where T : IResource => new ResourceBuilder<T>(this, resource);

    public DistributedApplication Build()
    {
        if (BuilderInterception.Current.Value is { } interception && interception.Builder == this)
        {
            // The testing builder runs the AppHost's Program until here, then changes and builds the model itself.
            throw new BuilderInterception.InterceptedException();
        }

        return BuildCore();
    }

    internal DistributedApplication BuildCore()
    {
        var model = new DistributedApplicationModel([.. _resources]);
        model.ValidateNoCycles();
        _host.Services.AddSingleton(model);
        _host.Services.AddSingleton(Options);
        _host.Services.AddSingleton(ExecutionContext);
        _host.Services.AddSingleton<ResourceNotificationService>();
        _host.Services.AddSingleton<ResourceLoggerService>();
        if (ExecutionContext.IsRunMode)
        {
            _host.Services.AddSingleton<Orchestrator>();
            _host.Services.AddHostedService(sp => sp.GetRequiredService<Orchestrator>());
            _host.Services.AddSingleton(sp => new ResourceCommandService(sp.GetRequiredService<Orchestrator>()));
        }

        return new DistributedApplication(_host.Build(), Options);
    }

    private static string? ArgValue(string[] args, string name)
    {
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == name && i + 1 < args.Length)
            {
                return args[i + 1];
            }

            if (args[i].StartsWith(name + "=", StringComparison.Ordinal))
            {
                return args[i][(name.Length + 1)..];
            }
        }

        return null;
    }

    /// <summary>The AppHost's project folder, written into its assembly by Platform.Hosting.targets.</summary>
    internal static string FindAppHostDirectory(Assembly? assembly) =>
        assembly?.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "PlatformAppHostDirectory")?.Value is { } dir && Directory.Exists(dir)
            ? dir
            : Directory.GetCurrentDirectory();
}

/// <summary>Lets the testing builder run an AppHost's entry point up to <c>Build()</c> and take over its builder.</summary>
internal sealed class BuilderInterception
{
    public static readonly AsyncLocal<BuilderInterception?> Current = new();

    public required Assembly AppHostAssembly { get; init; }

    public Action<DistributedApplicationOptions, HostApplicationBuilderSettings>? Configure { get; init; }

    public DistributedApplicationBuilder? Builder { get; set; }

    internal sealed class InterceptedException() : Exception("The testing builder took over this AppHost's builder.");
}
