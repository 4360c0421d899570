using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Platform.TestSupport;

/// <summary>What a server answered to an upload, and how much of the body had gone out when the answer came.</summary>
public sealed record UploadAnswer(int Status, IReadOnlyDictionary<string, string> Headers, string Body, long BodyBytesSent, bool BodyFinished)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}

/// <summary>
/// Uploads a large POST body over a raw socket, because HttpClient cannot show whether the server answered before the
/// body was sent (which is the point: a body refused early never reaches the server's memory).
/// </summary>
public static class OversizedUpload
{
    private const int Piece = 64 * 1024;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    /// <summary>Declares <paramref name="length"/> in Content-Length and sends none of it: an answer proves the server
    /// refused without waiting for the body.</summary>
    public static Task<UploadAnswer> DeclaredAsync(Uri server, string path, long length, IDictionary<string, string>? headers, CancellationToken ct) =>
        SendAsync(server, path, length, chunked: false, headers, ct);

    /// <summary>Streams <paramref name="length"/> bytes chunked (no length announced) until the server answers.</summary>
    public static Task<UploadAnswer> ChunkedAsync(Uri server, string path, long length, IDictionary<string, string>? headers, CancellationToken ct) =>
        SendAsync(server, path, length, chunked: true, headers, ct);

    private static async Task<UploadAnswer> SendAsync(Uri server, string path, long length, bool chunked, IDictionary<string, string>? headers, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(Deadline);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port, deadline.Token);
        var stream = tcp.GetStream();

        var head = new StringBuilder();
        head.Append(CultureInfo.InvariantCulture, $"POST {path} HTTP/1.1\r\nHost: {server.Authority}\r\nContent-Type: application/json\r\n");
        head.Append(chunked ? "Transfer-Encoding: chunked\r\n" : string.Create(CultureInfo.InvariantCulture, $"Content-Length: {length}\r\n"));
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            head.Append(CultureInfo.InvariantCulture, $"{name}: {value}\r\n");
        }

        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.Append("\r\n").ToString()), deadline.Token);

        long sent = 0;
        var finished = false;
        using var answered = new CancellationTokenSource();
        var upload = chunked ? Task.Run(async () =>
        {
            // Valid JSON as far as it goes, so a server that reads it all would only fail at the end.
            var body = Encoding.ASCII.GetBytes("{\"message\":\"" + new string('a', Piece - 12));
            var chunk = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{Piece - 1:x}\r\n")).Concat(body[..(Piece - 1)]).Concat("\r\n"u8.ToArray()).ToArray();
            try
            {
                while (sent < length && !answered.IsCancellationRequested)
                {
                    await stream.WriteAsync(chunk, answered.Token);
                    Interlocked.Add(ref sent, Piece - 1);
                }

                finished = sent >= length;
                if (finished)
                {
                    await stream.WriteAsync("0\r\n\r\n"u8.ToArray(), answered.Token);
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
            {
                // The server closed the connection or answered: the upload ends here.
            }
        }, CancellationToken.None) : Task.CompletedTask;

        try
        {
            var (status, responseHeaders, responseBody) = await ReadAnswerAsync(stream, deadline.Token);
            var sentWhenAnswered = Interlocked.Read(ref sent);
            var finishedWhenAnswered = Volatile.Read(ref finished);
            await answered.CancelAsync();
            return new UploadAnswer(status, responseHeaders, responseBody, sentWhenAnswered, finishedWhenAnswered);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"No answer to POST {path} within {Deadline.TotalSeconds} s ({Interlocked.Read(ref sent)} body bytes sent).");
        }
        finally
        {
            await answered.CancelAsync();
            tcp.Close();
            await upload;
        }
    }

    private static async Task<(int Status, Dictionary<string, string> Headers, string Body)> ReadAnswerAsync(NetworkStream stream, CancellationToken ct)
    {
        var buffer = new List<byte>();
        var read = new byte[16 * 1024];
        int end;
        while ((end = IndexOf(buffer, "\r\n\r\n"u8.ToArray())) < 0)
        {
            var n = await stream.ReadAsync(read, ct);
            if (n == 0)
            {
                throw new IOException("The server closed the connection without an answer.");
            }

            buffer.AddRange(read.AsSpan(0, n));
        }

        var lines = Encoding.ASCII.GetString(buffer.GetRange(0, end).ToArray()).Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1], CultureInfo.InvariantCulture);
        var headers = lines.Skip(1).Select(l => l.Split(':', 2)).ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.OrdinalIgnoreCase);
        var rest = buffer.GetRange(end + 4, buffer.Count - end - 4);

        async Task<bool> MoreAsync()
        {
            var n = await stream.ReadAsync(read, ct);
            rest.AddRange(read.AsSpan(0, n));
            return n > 0;
        }

        if (headers.TryGetValue("Content-Length", out var declared))
        {
            var want = int.Parse(declared, CultureInfo.InvariantCulture);
            while (rest.Count < want && await MoreAsync())
            {
            }

            return (status, headers, Encoding.UTF8.GetString(rest.Take(want).ToArray()));
        }

        if (headers.TryGetValue("Transfer-Encoding", out var te) && te.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            var body = new List<byte>();
            while (true)
            {
                int lineEnd;
                while ((lineEnd = IndexOf(rest, "\r\n"u8.ToArray())) < 0)
                {
                    if (!await MoreAsync())
                    {
                        throw new IOException("The chunked answer ended early.");
                    }
                }

                var size = int.Parse(Encoding.ASCII.GetString(rest.GetRange(0, lineEnd).ToArray()).Split(';')[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (size == 0)
                {
                    return (status, headers, Encoding.UTF8.GetString(body.ToArray()));
                }

                while (rest.Count < lineEnd + 2 + size + 2)
                {
                    if (!await MoreAsync())
                    {
                        throw new IOException("The chunked answer ended early.");
                    }
                }

                body.AddRange(rest.GetRange(lineEnd + 2, size));
                rest.RemoveRange(0, lineEnd + 2 + size + 2);
            }
        }

        while (await MoreAsync())
        {
        }

        return (status, headers, Encoding.UTF8.GetString(rest.ToArray()));
    }

    private static int IndexOf(List<byte> haystack, byte[] needle)
    {
        for (var i = 0; i + needle.Length <= haystack.Count; i++)
        {
            var match = true;
            for (var j = 0; j < needle.Length && match; j++)
            {
                match = haystack[i + j] == needle[j];
            }

            if (match)
            {
                return i;
            }
        }

        return -1;
    }
}
