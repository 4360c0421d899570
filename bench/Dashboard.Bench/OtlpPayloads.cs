using System.Buffers.Binary;
using System.Text;

namespace Dashboard.Bench;

/// <summary>
/// Encodes OTLP export requests shaped like what the .NET exporter sends for an ASP.NET Core service (the protobuf
/// wire format written directly, so the benchmark measures the receiver, not an encoder).
/// </summary>
internal static class OtlpPayloads
{
    public static byte[] Traces(string service, int spans, int seed)
    {
        var random = new Random(seed);
        var scope = new List<byte[]>();
        for (var i = 0; i < spans; i++)
        {
            var traceId = new byte[16];
            var spanId = new byte[8];
            var parentId = new byte[8];
            random.NextBytes(traceId);
            random.NextBytes(spanId);
            random.NextBytes(parentId);
            var start = 1_700_000_000_000_000_000UL + (ulong)i * 1_000_000;
            scope.Add(Bytes(2, [
                .. Bytes(1, traceId), .. Bytes(2, spanId), .. Bytes(4, parentId), .. Str(5, "POST /api/bets"), .. Varint(6, 2),
                .. Fixed64(7, start), .. Fixed64(8, start + 2_500_000),
                .. Attr("http.request.method", "POST"), .. Attr("url.path", "/api/bets"), .. Attr("http.route", "/api/bets"),
                .. Attr("server.address", "127.0.0.1"), .. Attr("http.response.status_code", "201"),
                .. Bytes(15, Varint(3, 1)),
            ]));
        }

        return Request(service, "Microsoft.AspNetCore", scope);
    }

    public static byte[] Logs(string service, int records, int seed)
    {
        var random = new Random(seed);
        var scope = new List<byte[]>();
        for (var i = 0; i < records; i++)
        {
            var traceId = new byte[16];
            var spanId = new byte[8];
            random.NextBytes(traceId);
            random.NextBytes(spanId);
            scope.Add(Bytes(2, [
                .. Fixed64(1, 1_700_000_000_000_000_000UL + (ulong)i), .. Varint(2, 9), .. Str(3, "Information"),
                .. Bytes(5, Str(1, $"Bet {i} placed for 0x{i:x8} on cell 12/7 at 1.85")),
                .. LogAttr("BetId", i.ToString(System.Globalization.CultureInfo.InvariantCulture)), .. LogAttr("Wallet", $"0x{i:x8}"),
                .. LogAttr("{OriginalFormat}", "Bet {BetId} placed for {Wallet} on cell {Cell} at {Rate}"),
                .. Bytes(9, traceId), .. Bytes(10, spanId),
            ]));
        }

        return Request(service, "Bets.Api.Placement", scope);
    }

    private static byte[] Request(string service, string scopeName, List<byte[]> items)
    {
        byte[] resource = [.. KeyValue(1, "service.name", service), .. KeyValue(1, "service.instance.id", service + "-0"),
            .. KeyValue(1, "telemetry.sdk.language", "dotnet"), .. KeyValue(1, "telemetry.sdk.version", "1.20.1")];
        byte[] scope = [.. Bytes(1, Str(1, scopeName)), .. items.SelectMany(x => x)];
        return Bytes(1, [.. Bytes(1, resource), .. Bytes(2, scope)]);
    }

    // Span.attributes is field 9; LogRecord.attributes is field 6.
    private static byte[] Attr(string key, string value) => KeyValue(9, key, value);

    private static byte[] LogAttr(string key, string value) => KeyValue(6, key, value);

    private static byte[] KeyValue(int field, string key, string value) => Bytes(field, [.. Str(1, key), .. Bytes(2, Str(1, value))]);

    private static byte[] Str(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    private static byte[] Bytes(int field, byte[] value) => [.. Tag(field, 2), .. VarintBytes((ulong)value.Length), .. value];

    private static byte[] Varint(int field, ulong value) => [.. Tag(field, 0), .. VarintBytes(value)];

    private static byte[] Fixed64(int field, ulong value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        return [.. Tag(field, 1), .. bytes];
    }

    private static byte[] Tag(int field, int wireType) => VarintBytes((ulong)((field << 3) | wireType));

    private static byte[] VarintBytes(ulong value)
    {
        var result = new List<byte>();
        while (value >= 0x80)
        {
            result.Add((byte)(value | 0x80));
            value >>= 7;
        }

        result.Add((byte)value);
        return [.. result];
    }
}
