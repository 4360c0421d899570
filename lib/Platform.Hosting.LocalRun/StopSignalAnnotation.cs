using Aspire.Hosting.ApplicationModel;

namespace Platform.Hosting.LocalRun;

/// <summary>
/// Asks a local process to stop with <see cref="Signal"/> instead of DCP's SIGTERM when the AppHost stops, as a
/// container image's <c>STOPSIGNAL</c> does (PostgreSQL's image stops with SIGINT, a fast shutdown).
/// </summary>
/// <param name="signal">The signal's name as <c>kill(1)</c> takes it, such as <c>INT</c>.</param>
public sealed class StopSignalAnnotation(string signal) : IResourceAnnotation
{
    /// <summary>The signal's name as <c>kill(1)</c> takes it.</summary>
    public string Signal { get; } = signal;
}
