namespace Platform.SignalR.Redis;

/// <summary>
/// Runs the messages of one subscription one after the other, in arrival order, without a task per message in the
/// common case: a message is handled inline when nothing is pending, and chained behind the previous one when a write
/// to a connection is still in flight (back-pressure from a slow client), so a later message never overtakes it.
/// </summary>
internal sealed class OrderedDispatcher(Func<byte[], ValueTask> handler)
{
    private readonly Lock _lock = new();
    private Task _tail = Task.CompletedTask;

    public void Post(byte[] message)
    {
        lock (_lock)
        {
            if (_tail.IsCompleted)
            {
                var pending = handler(message);
                if (pending.IsCompletedSuccessfully)
                {
                    pending.GetAwaiter().GetResult();
                }
                else
                {
                    _tail = pending.AsTask();
                }
            }
            else
            {
                _tail = ChainAsync(_tail, message);
            }
        }
    }

    private async Task ChainAsync(Task previous, byte[] message)
    {
        try
        {
            await previous.ConfigureAwait(false);
        }
        catch
        {
            // The handler logs its own failures; a failed message must not stop the ones behind it.
        }

        await handler(message).ConfigureAwait(false);
    }
}
