using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace Sync.Api.Identity;

/// <summary>
/// The client a request comes from, as the key of limits per address (session minting, password attempts).
/// </summary>
/// <remarks>
/// Decision: the connection's remote address, except that <c>X-Forwarded-For</c> is believed from the peers in
/// <see cref="SyncOptions.TrustedProxies"/> only (default: loopback, where the AppHost runs Web.Frontend's proxy).
/// Behind the proxy every request comes from its address, so without the header all browsers would share one budget;
/// from anyone else the header is a free new identity per request, so it is ignored. YARP replaces the header rather
/// than appending to what the browser sent, and only its last hop is read (<c>ForwardLimit</c> 1).
/// </remarks>
public static class ClientAddress
{
    public static IServiceCollection AddClientAddresses(this IServiceCollection services)
    {
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<SyncOptions>>((o, sync) =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor;
            o.ForwardLimit = 1;
            if (sync.Value.TrustedProxies is { Count: > 0 } trusted)
            {
                o.KnownProxies.Clear();
                o.KnownIPNetworks.Clear();
                foreach (var network in trusted)
                {
                    o.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
                }
            }
        });
        return services;
    }

    /// <summary>The limit key: an IPv4 address, or the /64 an IPv6 address is in (one subscriber's allocation, which
    /// its owner can rotate through freely).</summary>
    public static string Of(HttpContext? http)
    {
        var address = http?.Connection.RemoteIpAddress;
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }
}
