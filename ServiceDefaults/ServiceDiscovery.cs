using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Platform.ServiceDefaults;

/// <summary>
/// Resolves logical service names from Aspire's configuration convention:
/// <c>services:{service}:{endpoint}:{index}</c> (environment variable <c>services__{service}__{endpoint}__{index}</c>).
/// A URI such as <c>http://bets-api</c> uses the <c>http</c> endpoint; <c>https+http://bets-api</c> prefers https and
/// falls back to http; <c>http://_ws.bets-api</c> names the endpoint explicitly. Several indices rotate round-robin.
/// </summary>
public sealed class ServiceEndpointResolver(IConfiguration configuration)
{
    private readonly ConcurrentDictionary<string, int> _next = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>True when the host is a name this resolver owns (no dots unless it carries an endpoint prefix).</summary>
    public static bool IsLogicalName(Uri uri) =>
        uri.IsAbsoluteUri && uri.HostNameType == UriHostNameType.Dns &&
        (!uri.Host.Contains('.', StringComparison.Ordinal) || uri.Host.StartsWith('_')) &&
        !string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase);

    /// <summary>Returns <paramref name="uri"/> with scheme, host and port replaced by the configured endpoint.</summary>
    public Uri Resolve(Uri uri)
    {
        if (!IsLogicalName(uri))
        {
            return uri;
        }

        var (service, endpointName) = SplitHost(uri.Host);
        var schemes = uri.Scheme.Split('+');
        var candidates = endpointName is not null ? [endpointName] : schemes;
        foreach (var candidate in candidates)
        {
            var section = configuration.GetSection($"services:{service}:{candidate}");
            var addresses = section.GetChildren().Select(c => c.Value).Where(v => !string.IsNullOrWhiteSpace(v)).ToArray();
            if (addresses.Length == 0)
            {
                continue;
            }

            var index = (_next.AddOrUpdate($"{service}/{candidate}", 0, (_, i) => i + 1) & int.MaxValue) % addresses.Length;
            var target = new Uri(addresses[index]!, UriKind.Absolute);
            var builder = new UriBuilder(uri) { Scheme = target.Scheme, Host = target.Host, Port = target.Port };
            if (endpointName is not null && schemes.Length == 1 && schemes[0] is "ws" or "wss")
            {
                builder.Scheme = target.Scheme == "https" ? "wss" : "ws";
            }

            return builder.Uri;
        }

        var expected = string.Join(" or ", candidates.Select(c => $"services__{service}__{c}__0"));
        throw new InvalidOperationException(
            $"No endpoint is configured for service '{service}' ({uri.Scheme}://{uri.Host}). Set the configuration key " +
            $"'services:{service}:{candidates[0]}:0' (environment variable {expected}) to its address.");
    }

    private static (string Service, string? Endpoint) SplitHost(string host)
    {
        if (host.StartsWith('_') && host.IndexOf('.', StringComparison.Ordinal) is var dot and > 1)
        {
            return (host[(dot + 1)..], host[1..dot]);
        }

        return (host, null);
    }
}

/// <summary>Rewrites each outgoing request's logical address to a configured endpoint.</summary>
public sealed class ServiceDiscoveryHandler(ServiceEndpointResolver resolver) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var original = request.RequestUri;
        if (original is not null && ServiceEndpointResolver.IsLogicalName(original))
        {
            request.RequestUri = resolver.Resolve(original);
            // Retries come back through here with the logical address so they may land on another replica.
            return SendAndRestoreAsync(request, original, cancellationToken);
        }

        return base.SendAsync(request, cancellationToken);
    }

    private async Task<HttpResponseMessage> SendAndRestoreAsync(HttpRequestMessage request, Uri original, CancellationToken ct)
    {
        try
        {
            return await base.SendAsync(request, ct).ConfigureAwait(false);
        }
        finally
        {
            request.RequestUri = original;
        }
    }
}

public static class ServiceDiscoveryExtensions
{
    public static IServiceCollection AddServiceDiscovery(this IServiceCollection services)
    {
        services.TryAddSingleton<ServiceEndpointResolver>();
        services.TryAddTransient<ServiceDiscoveryHandler>();
        return services;
    }

    public static IHttpClientBuilder AddServiceDiscovery(this IHttpClientBuilder builder)
    {
        builder.Services.AddServiceDiscovery();
        return builder.AddHttpMessageHandler<ServiceDiscoveryHandler>();
    }
}
