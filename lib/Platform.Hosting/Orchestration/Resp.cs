using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Platform.Hosting.Orchestration;

/// <summary>An error reply (<c>-ERR …</c>).</summary>
public sealed record RespError(string Message);

/// <summary>
/// A minimal RESP2 client for health probes and fault commands (PING, ROLE, SENTINEL …). Replies are
/// <see cref="string"/>, <see cref="long"/>, <see cref="RespError"/>, <c>object?[]</c> or null.
/// </summary>
public sealed class RespConnection : IAsyncDisposable
{
    private readonly TcpClient _client;
    private readonly BufferedStream _stream;

    private RespConnection(TcpClient client)
    {
        _client = client;
        _stream = new BufferedStream(client.GetStream(), 16 * 1024);
    }

    public static async Task<RespConnection> ConnectAsync(string host, int port, string? password, CancellationToken cancellationToken)
    {
        var client = new TcpClient { NoDelay = true };
        try
        {
            await client.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
            var connection = new RespConnection(client);
            if (password is not null && await connection.ExecuteAsync(cancellationToken, "AUTH", password).ConfigureAwait(false) is RespError error)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                throw new IOException($"AUTH failed on {host}:{port}: {error.Message}");
            }

            return connection;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    public async Task<object?> ExecuteAsync(CancellationToken cancellationToken, params string[] command)
    {
        var sb = new StringBuilder();
        sb.Append('*').Append(command.Length).Append("\r\n");
        foreach (var part in command)
        {
            sb.Append('$').Append(Encoding.UTF8.GetByteCount(part)).Append("\r\n").Append(part).Append("\r\n");
        }

        await _stream.WriteAsync(Encoding.UTF8.GetBytes(sb.ToString()), cancellationToken).ConfigureAwait(false);
        await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        return await ReadReplyAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<object?> ReadReplyAsync(CancellationToken cancellationToken)
    {
        var line = await ReadLineAsync(cancellationToken).ConfigureAwait(false);
        var payload = line[1..];
        switch (line[0])
        {
            case '+':
                return payload;
            case '-':
                return new RespError(payload);
            case ':':
                return long.Parse(payload, CultureInfo.InvariantCulture);
            case '$':
                {
                    var length = int.Parse(payload, CultureInfo.InvariantCulture);
                    if (length < 0)
                    {
                        return null;
                    }

                    var buffer = new byte[length + 2];
                    await _stream.ReadExactlyAsync(buffer, cancellationToken).ConfigureAwait(false);
                    return Encoding.UTF8.GetString(buffer, 0, length);
                }

            case '*':
                {
                    var count = int.Parse(payload, CultureInfo.InvariantCulture);
                    if (count < 0)
                    {
                        return null;
                    }

                    var items = new object?[count];
                    for (var i = 0; i < count; i++)
                    {
                        items[i] = await ReadReplyAsync(cancellationToken).ConfigureAwait(false);
                    }

                    return items;
                }

            default:
                throw new IOException($"Unexpected RESP reply type '{line[0]}'.");
        }
    }

    private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
    {
        var bytes = new List<byte>(64);
        var one = new byte[1];
        while (true)
        {
            if (await _stream.ReadAsync(one, cancellationToken).ConfigureAwait(false) == 0)
            {
                throw new IOException("The Redis connection was closed.");
            }

            if (one[0] == '\n' && bytes.Count > 0 && bytes[^1] == '\r')
            {
                return Encoding.UTF8.GetString(bytes.ToArray(), 0, bytes.Count - 1);
            }

            bytes.Add(one[0]);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync().ConfigureAwait(false);
        _client.Dispose();
    }

    /// <summary>Field pairs of a SENTINEL REPLICAS / SENTINELS entry as a dictionary.</summary>
    public static Dictionary<string, string> Pairs(object? reply)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (reply is object?[] items)
        {
            for (var i = 0; i + 1 < items.Length; i += 2)
            {
                result[items[i]?.ToString() ?? string.Empty] = items[i + 1]?.ToString() ?? string.Empty;
            }
        }

        return result;
    }
}
