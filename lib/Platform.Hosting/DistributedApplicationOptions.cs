namespace Platform.Hosting;

public sealed class DistributedApplicationOptions
{
    public string[] Args { get; set; } = [];

    /// <summary>The AppHost project folder; found from the AppHost assembly's metadata when null.</summary>
    public string? AppHostDirectory { get; set; }

    /// <summary>Data folders, logs and generated secrets; <c>&lt;AppHost&gt;/.state</c> when null.</summary>
    public string? StateDirectory { get; set; }

    /// <summary>Ignore fixed ports and give every endpoint a free port (tests run side by side).</summary>
    public bool RandomizePorts { get; set; }

    /// <summary>The build configuration whose outputs projects run from; the AppHost's own when null.</summary>
    public string? ProjectConfiguration { get; set; }

    /// <summary>OTLP endpoint given to every project as <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (the dashboard sets it).</summary>
    public Uri? OtlpEndpoint { get; set; }

    /// <summary><c>grpc</c> or <c>http/protobuf</c>.</summary>
    public string OtlpProtocol { get; set; } = "http/protobuf";

    /// <summary><c>OTEL_EXPORTER_OTLP_HEADERS</c> (e.g. the dashboard's API key).</summary>
    public string? OtlpHeaders { get; set; }

    /// <summary>Lines of output kept in memory per resource instance.</summary>
    public int LogLinesPerInstance { get; set; } = 5_000;

    /// <summary>How long a resource gets to stop gracefully before it is killed.</summary>
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>When set, <c>StartAsync</c> waits until every resource is healthy (or finished) and throws a report otherwise.</summary>
    public TimeSpan? WaitForResourcesOnStart { get; set; }

    /// <summary>Print the resource summary to the console once everything has settled.</summary>
    public bool PrintSummary { get; set; } = true;

    /// <summary>Log resource state changes to the console (the testing builder sends resource output to the test instead).</summary>
    public bool ConsoleLogging { get; set; } = true;

    /// <summary>Remove the state folder when the application is disposed (tests).</summary>
    public bool DeleteStateOnDispose { get; set; }

    /// <summary>Receives every line of every resource's output (the testing builder sends it to the test output).</summary>
    public Action<Orchestration.LogLine>? LogSink { get; set; }
}
