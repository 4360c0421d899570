using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Platform.TestSupport;

/// <summary>
/// A deliberately tiny RESP2 client for driving test servers. It opens one connection per call so it has no state to
/// go wrong while the topology is being disturbed; it is not meant for anything hot.
/// </summary>
public static class RespWire
{
    /// <summary>Sends one command and returns its reply: string, long, null or object?[]; server errors throw.</summary>
    public static async Task<object?> CommandAsync(int port, string? password, IReadOnlyList<string> args, CancellationToken ct = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(TimeSpan.FromSeconds(10));
        using var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync("127.0.0.1", port, cts.Token);
        await using var stream = client.GetStream();
        var reader = new Reader(stream);
        if (!string.IsNullOrEmpty(password))
        {
            await WriteAsync(stream, ["AUTH", password], cts.Token);
            await reader.ReadAsync(cts.Token);
        }

        await WriteAsync(stream, args, cts.Token);
        return await reader.ReadAsync(cts.Token);
    }

    public static Task<object?> CommandAsync(int port, string? password, params string[] args)
        => CommandAsync(port, password, (IReadOnlyList<string>)args);

    private static async Task WriteAsync(Stream stream, IReadOnlyList<string> args, CancellationToken ct)
    {
        var sb = new StringBuilder();
        sb.Append('*').Append(args.Count).Append("\r\n");
        foreach (var a in args)
        {
            sb.Append('$').Append(Encoding.UTF8.GetByteCount(a)).Append("\r\n").Append(a).Append("\r\n");
        }

        await stream.WriteAsync(Encoding.UTF8.GetBytes(sb.ToString()), ct);
    }

    private sealed class Reader(Stream stream)
    {
        private readonly byte[] _buffer = new byte[64 * 1024];
        private int _start;
        private int _end;

        public async Task<object?> ReadAsync(CancellationToken ct)
        {
            var line = await ReadLineAsync(ct);
            var body = line[1..];
            switch (line[0])
            {
                case '+': return body;
                case '-': throw new RespWireException(body);
                case ':': return long.Parse(body, CultureInfo.InvariantCulture);
                case '$':
                    {
                        var len = int.Parse(body, CultureInfo.InvariantCulture);
                        if (len < 0)
                        {
                            return null;
                        }

                        var bytes = await ReadExactAsync(len + 2, ct);
                        return Encoding.UTF8.GetString(bytes, 0, len);
                    }

                case '*':
                    {
                        var len = int.Parse(body, CultureInfo.InvariantCulture);
                        if (len < 0)
                        {
                            return null;
                        }

                        var items = new object?[len];
                        for (var i = 0; i < len; i++)
                        {
                            try
                            {
                                items[i] = await ReadAsync(ct);
                            }
                            catch (RespWireException e)
                            {
                                items[i] = e; // errors nested in arrays (EXEC) are values, not failures
                            }
                        }

                        return items;
                    }

                default: throw new InvalidDataException($"unexpected RESP type '{line[0]}'");
            }
        }

        private async Task<string> ReadLineAsync(CancellationToken ct)
        {
            while (true)
            {
                var idx = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
                if (idx > _start && _buffer[idx - 1] == '\r')
                {
                    var s = Encoding.UTF8.GetString(_buffer, _start, idx - 1 - _start);
                    _start = idx + 1;
                    return s;
                }

                await FillAsync(ct);
            }
        }

        private async Task<byte[]> ReadExactAsync(int count, CancellationToken ct)
        {
            var result = new byte[count];
            var copied = 0;
            while (copied < count)
            {
                if (_start == _end)
                {
                    await FillAsync(ct);
                }

                var n = Math.Min(count - copied, _end - _start);
                Buffer.BlockCopy(_buffer, _start, result, copied, n);
                _start += n;
                copied += n;
            }

            return result;
        }

        private async Task FillAsync(CancellationToken ct)
        {
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }

            if (_end == _buffer.Length)
            {
                throw new InvalidDataException("RESP line longer than the test helper's buffer");
            }

            var n = await stream.ReadAsync(_buffer.AsMemory(_end), ct);
            if (n == 0)
            {
                throw new EndOfStreamException("server closed the connection");
            }

            _end += n;
        }
    }
}

/// <summary>A server error reply seen by <see cref="RespWire"/>.</summary>
public sealed class RespWireException(string message) : Exception(message);
