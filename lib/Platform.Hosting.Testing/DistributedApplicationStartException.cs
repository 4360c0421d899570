namespace Aspire.Hosting.Testing;

/// <summary>
/// The application did not become healthy: the message names each resource that is not, with its state, its health
/// checks and its last lines of output.
/// </summary>
public sealed class DistributedApplicationStartException(string message) : Exception(message);
