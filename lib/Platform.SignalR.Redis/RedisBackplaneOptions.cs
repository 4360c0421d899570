using Microsoft.Extensions.Options;
using Platform.Redis;

namespace Platform.SignalR.Redis;

/// <summary>Configuration of the Redis backplane (<c>AddRedisBackplane</c>).</summary>
public sealed class RedisBackplaneOptions
{
    /// <summary>
    /// A Platform.Redis connection string (<c>host:port,password=…[,serviceName=…]</c>). When null the backplane uses the
    /// <see cref="IConnectionMultiplexer"/> registered in the container (for example by <c>AddRedisClient</c>).
    /// </summary>
    public string? Configuration { get; set; }

    /// <summary>First segment of every channel name; servers only talk to servers with the same prefix.</summary>
    public string ChannelPrefix { get; set; } = "signalr";

    /// <summary>
    /// How long adding or removing a connection that lives on another server to or from a group waits for that server's
    /// acknowledgement. When no server owns the connection the operation returns at once instead.
    /// </summary>
    public TimeSpan AckTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a client result requested from a connection on another server may take before the invocation fails with
    /// a <see cref="TimeoutException"/>; protects callers from a server that died holding the connection.
    /// <see cref="Timeout.InfiniteTimeSpan"/> waits for the result, the disconnect, or the caller's cancellation only.
    /// </summary>
    public TimeSpan ClientResultTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

internal sealed class RedisBackplaneOptionsValidator : IValidateOptions<RedisBackplaneOptions>
{
    public ValidateOptionsResult Validate(string? name, RedisBackplaneOptions options)
    {
        List<string>? failures = null;
        if (string.IsNullOrWhiteSpace(options.ChannelPrefix))
        {
            (failures ??= []).Add("RedisBackplaneOptions.ChannelPrefix must not be empty.");
        }

        if (options.AckTimeout <= TimeSpan.Zero)
        {
            (failures ??= []).Add("RedisBackplaneOptions.AckTimeout must be positive.");
        }

        if (options.ClientResultTimeout <= TimeSpan.Zero && options.ClientResultTimeout != Timeout.InfiniteTimeSpan)
        {
            (failures ??= []).Add("RedisBackplaneOptions.ClientResultTimeout must be positive or Timeout.InfiniteTimeSpan.");
        }

        if (options.Configuration is { } c && string.IsNullOrWhiteSpace(c))
        {
            (failures ??= []).Add("RedisBackplaneOptions.Configuration must be null (use the registered IConnectionMultiplexer) or a connection string.");
        }

        return failures is null ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
