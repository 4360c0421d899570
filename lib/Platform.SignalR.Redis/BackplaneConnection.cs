using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Platform.Redis;

namespace Platform.SignalR.Redis;

/// <summary>
/// The one Redis connection the backplane of every hub in the process shares: either the application's registered
/// <see cref="IConnectionMultiplexer"/> or one opened from <see cref="RedisBackplaneOptions.Configuration"/> (owned,
/// disposed with the container).
/// </summary>
internal sealed class BackplaneConnection(IOptions<RedisBackplaneOptions> options, IServiceProvider services) : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IConnectionMultiplexer? _multiplexer;
    private ConnectionMultiplexer? _owned;

    public async Task<IConnectionMultiplexer> GetAsync()
    {
        if (Volatile.Read(ref _multiplexer) is { } existing)
        {
            return existing;
        }

        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_multiplexer is not null)
            {
                return _multiplexer;
            }

            if (options.Value.Configuration is { } configuration)
            {
                _owned = await ConnectionMultiplexer.ConnectAsync(configuration).ConfigureAwait(false);
                Volatile.Write(ref _multiplexer, _owned);
            }
            else
            {
                var registered = services.GetService<IConnectionMultiplexer>() ?? throw new InvalidOperationException(
                    "The Redis backplane has no connection: set RedisBackplaneOptions.Configuration in AddRedisBackplane(...) " +
                    "or register an IConnectionMultiplexer (builder.AddRedisClient(\"redis\")).");
                Volatile.Write(ref _multiplexer, registered);
            }

            return _multiplexer;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_owned is { } owned)
        {
            await owned.DisposeAsync().ConfigureAwait(false);
        }

        _gate.Dispose();
    }
}
