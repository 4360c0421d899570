using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Platform.Hosting.Dashboard;
using Platform.Hosting.Dashboard.Hosting;
using Platform.Hosting.Orchestration;

namespace Platform.Hosting;

public static class DashboardBuilderExtensions
{
    /// <summary>
    /// Serves the dashboard from the AppHost in run mode (publish mode ignores it): frontend on 18888, OTLP/gRPC on 18889,
    /// OTLP/HTTP on 18890 (the <c>Dashboard</c> configuration section overrides them), and points every project's
    /// <c>OTEL_EXPORTER_OTLP_*</c> at it with the API key header. With <c>RandomizePorts</c> (tests) every port is free-chosen.
    /// </summary>
    public static IDistributedApplicationBuilder AddDashboard(this IDistributedApplicationBuilder builder, Action<DashboardOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (!builder.ExecutionContext.IsRunMode)
        {
            return builder;
        }

        var options = new DashboardOptions();
        builder.Configuration.GetSection("Dashboard").Bind(options);
        configure?.Invoke(options);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<DashboardHost>();
        // Registered before the orchestrator, so the receiver listens before the first project starts.
        builder.Services.AddHostedService(sp => sp.GetRequiredService<DashboardHost>());
        return builder;
    }

    /// <summary>The running dashboard of an application (its login URL and OTLP endpoints), once started.</summary>
    public static DashboardServer? GetDashboard(this DistributedApplication app) => app?.Services.GetService<DashboardHost>()?.Server;
}

/// <summary>Starts the dashboard with the application and stops it after every resource has stopped.</summary>
internal sealed partial class DashboardHost(
    DashboardOptions options,
    DistributedApplicationOptions appOptions,
    IServiceProvider services,
    ILogger<DashboardHost> logger) : IHostedService, IAsyncDisposable
{
    public DashboardServer? Server { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // The application's options (ports randomised for tests, the state folder) are final only once it is built.
        if (appOptions.RandomizePorts)
        {
            options.FrontendPort = 0;
            options.OtlpGrpcPort = options.OtlpGrpcPort < 0 ? -1 : 0;
            options.OtlpHttpPort = 0;
        }

        if (options.PersistTelemetry && options.Telemetry.SqlitePath is null && appOptions.StateDirectory is { } state)
        {
            options.Telemetry.SqlitePath = Path.Combine(state, "dashboard", "telemetry.db");
        }

        var resources = new HostingResourceService(
            services.GetRequiredService<DistributedApplicationModel>(),
            services.GetRequiredService<ResourceNotificationService>(),
            services.GetRequiredService<ResourceLoggerService>(),
            services.GetRequiredService<ResourceCommandService>());
        Server = await DashboardServer.StartAsync(options, resources, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (Server.OtlpHttpEndpoint is { } http)
        {
            appOptions.OtlpEndpoint = http;
            appOptions.OtlpProtocol = "http/protobuf";
        }
        else if (Server.OtlpGrpcEndpoint is { } grpc)
        {
            appOptions.OtlpEndpoint = grpc;
            appOptions.OtlpProtocol = "grpc";
        }

        appOptions.OtlpHeaders = Server.OtlpHeaders;
        LogLogin(Server.LoginUrl);
    }

    // Stopping the host stops the orchestrator first (registered later, stopped earlier), so the resources' last
    // telemetry still arrives.
    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync().ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        if (Server is { } server)
        {
            Server = null;
            await server.DisposeAsync().ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Dashboard: {LoginUrl}")]
    private partial void LogLogin(Uri loginUrl);
}
