using System.Buffers;
using System.IO.Compression;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Platform.Hosting.Dashboard.Telemetry;

namespace Platform.Hosting.Dashboard.Otlp;

public enum OtlpSignal { Traces, Logs, Metrics }

/// <summary>Decodes and stores one export request; shared by the OTLP/HTTP and OTLP/gRPC endpoints.</summary>
internal sealed partial class OtlpIngest(TelemetryStore store, ILogger<OtlpIngest> logger)
{
    /// <summary>Larger requests are refused before they are buffered.</summary>
    public const int MaxMessageBytes = 32 * 1024 * 1024;

    public long AcceptedSpans;
    public long AcceptedLogs;
    public long AcceptedPoints;

    /// <summary>Decodes the whole request first, so a malformed one stores nothing.</summary>
    public void Ingest(OtlpSignal signal, ReadOnlySpan<byte> payload)
    {
        var batch = signal switch
        {
            OtlpSignal.Traces => OtlpDecoder.DecodeTraces(payload),
            OtlpSignal.Logs => OtlpDecoder.DecodeLogs(payload),
            _ => OtlpDecoder.DecodeMetrics(payload),
        };
        store.Add(batch);
        Interlocked.Add(ref AcceptedSpans, batch.Spans.Count);
        Interlocked.Add(ref AcceptedLogs, batch.Logs.Count);
        Interlocked.Add(ref AcceptedPoints, batch.Points.Count);
    }

    /// <summary>Reads a whole body (gunzipping it when asked) into a pooled buffer; null when it is too large.</summary>
    public static async Task<PooledBuffer?> ReadBodyAsync(Stream body, bool gzip, CancellationToken cancellationToken)
    {
        var source = gzip ? new GZipStream(body, CompressionMode.Decompress, leaveOpen: true) : body;
        var buffer = new PooledBuffer();
        try
        {
            while (true)
            {
                buffer.EnsureFree(16 * 1024);
                var read = await source.ReadAsync(buffer.Free, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return buffer;
                }

                buffer.Length += read;
                if (buffer.Length > MaxMessageBytes)
                {
                    buffer.Dispose();
                    return null;
                }
            }
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
        finally
        {
            if (gzip)
            {
                await source.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Rejected a malformed OTLP {Signal} request: {Reason}")]
    public partial void LogMalformed(OtlpSignal signal, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Rejected an OTLP request without a valid API key from {Remote}")]
    public partial void LogUnauthorized(string? remote);
}

internal sealed class PooledBuffer : IDisposable
{
    private byte[] _array = ArrayPool<byte>.Shared.Rent(64 * 1024);

    public int Length { get; set; }

    public Memory<byte> Free => _array.AsMemory(Length);

    public ReadOnlySpan<byte> Span => _array.AsSpan(0, Length);

    public void EnsureFree(int count)
    {
        if (_array.Length - Length >= count)
        {
            return;
        }

        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_array.Length * 2, Length + count));
        _array.AsSpan(0, Length).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_array);
        _array = larger;
    }

    public void Dispose()
    {
        if (_array.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_array);
            _array = [];
        }
    }
}
