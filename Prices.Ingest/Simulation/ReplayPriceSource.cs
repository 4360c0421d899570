using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Prices.Ingest.Exchanges;

namespace Prices.Ingest.Simulation;

/// <summary>
/// Replays a recording: one JSON object per line, <c>{"source":"coinbase","price":"64012.10","quote":"USD","timestamp":1732240000123}</c>,
/// keeping the recorded spacing (scaled by <see cref="ReplayOptions.Speed"/>). Bad lines are logged and skipped.
/// </summary>
public sealed partial class ReplayPriceSource(IOptions<ReplayOptions> options, TimeProvider time, PricesMetrics metrics, ILogger<ReplayPriceSource> logger)
    : IPriceSource
{
    private readonly ReplayOptions _options = options.Value;

    public string Name => "replay";

    public async Task RunAsync(ChannelWriter<PriceTick> ticks, CancellationToken cancellationToken)
    {
        long replayed;
        do
        {
            replayed = await ReplayOnceAsync(ticks, cancellationToken);
        }
        // A file without a single usable line is not looped: that would only spin.
        while (_options.Loop && replayed > 0 && !cancellationToken.IsCancellationRequested);

        LogFinished(logger, _options.Path);
    }

    private async Task<long> ReplayOnceAsync(ChannelWriter<PriceTick> ticks, CancellationToken cancellationToken)
    {
        long replayed = 0;
        using var reader = new StreamReader(_options.Path ?? throw new InvalidOperationException("Prices:Sources:Replay:Path is required"));
        long? firstRecorded = null;
        var start = time.GetTimestamp();
        var lineNumber = 0;
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            if (!TryParse(line, out var source, out var price, out var quote, out var recorded))
            {
                metrics.Malformed("replay");
                LogBadLine(logger, lineNumber, line.Length > 200 ? line[..200] : line);
                continue;
            }

            firstRecorded ??= recorded;
            if (_options.Speed > 0)
            {
                var wait = TimeSpan.FromMilliseconds((recorded - firstRecorded.Value) / _options.Speed) - time.GetElapsedTime(start);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, time, cancellationToken);
                }
            }

            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            metrics.Tick(source);
            await ticks.WriteAsync(new PriceTick(source, price, quote, recorded, now, time.GetTimestamp(), _options.Staleness), cancellationToken)
                ;
            replayed++;
        }

        return replayed;
    }

    internal static bool TryParse(string line, out string source, out decimal price, out string quote, out long timestamp)
    {
        source = quote = "";
        price = 0;
        timestamp = 0;
        try
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || ExchangeJson.GetString(root, "source") is not { Length: > 0 } name)
            {
                return false;
            }

            source = name;
            quote = ExchangeJson.GetString(root, "quote") ?? "USD";
            return ExchangeJson.TryGetPrice(root, "price", out price) && ExchangeJson.TryGetInt64(root, "timestamp", out timestamp);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "replay: line {Line} skipped: {Text}")]
    private static partial void LogBadLine(ILogger logger, int line, string text);

    [LoggerMessage(Level = LogLevel.Information, Message = "replay: finished {Path}")]
    private static partial void LogFinished(ILogger logger, string? path);
}
