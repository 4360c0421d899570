using System.Globalization;
using System.Text;
using Platform.Hosting.Dashboard.Telemetry;

namespace Platform.Hosting.Dashboard.Otlp;

/// <summary>
/// Decodes the OTLP collector export requests (opentelemetry-proto, collector/*/v1 and the trace, logs, metrics,
/// resource and common messages) from protobuf. Field numbers follow the OTLP specification; fields the dashboard does
/// not show are skipped. A request decodes completely or throws, so a malformed payload stores nothing.
/// </summary>
internal static partial class OtlpDecoder
{
    /// <summary>ExportTraceServiceRequest: 1 = repeated ResourceSpans.</summary>
    public static TelemetryBatch DecodeTraces(ReadOnlySpan<byte> payload)
    {
        var batch = new TelemetryBatch();
        var reader = new ProtoReader(payload);
        while (reader.ReadTag() is var field and not 0)
        {
            if (field == 1) { ReadResourceSpans(reader.ReadMessage(), batch); } else { reader.Skip(); }
        }

        return batch;
    }

    /// <summary>ExportLogsServiceRequest: 1 = repeated ResourceLogs.</summary>
    public static TelemetryBatch DecodeLogs(ReadOnlySpan<byte> payload)
    {
        var batch = new TelemetryBatch();
        var reader = new ProtoReader(payload);
        while (reader.ReadTag() is var field and not 0)
        {
            if (field == 1) { ReadResourceLogs(reader.ReadMessage(), batch); } else { reader.Skip(); }
        }

        return batch;
    }

    // ResourceSpans: 1 resource, 2 scope_spans, 3 schema_url. The resource may follow the scopes on the wire, so it is
    // found in a first pass over the message (the reader is a value: copying it rewinds nothing) and the scopes read in a second.
    private static void ReadResourceSpans(ProtoReader reader, TelemetryBatch batch)
    {
        var source = FindResource(reader);
        batch.Sources.Add(source);
        while (reader.ReadTag() is var field and not 0)
        {
            if (field == 2) { ReadScopeSpans(reader.ReadMessage(), source, batch); } else { reader.Skip(); }
        }
    }

    // ScopeSpans: 1 scope, 2 spans, 3 schema_url.
    private static void ReadScopeSpans(ProtoReader reader, TelemetrySource source, TelemetryBatch batch)
    {
        var scope = FindScopeName(reader);
        while (reader.ReadTag() is var field and not 0)
        {
            if (field == 2) { batch.Spans.Add(ReadSpan(reader.ReadMessage(), source, scope)); } else { reader.Skip(); }
        }
    }

    // Span: 1 trace_id, 2 span_id, 3 trace_state, 4 parent_span_id, 5 name, 6 kind, 7 start, 8 end, 9 attributes,
    // 10 dropped attrs, 11 events, 12 dropped events, 13 links, 14 dropped links, 15 status, 16 flags.
    private static SpanData ReadSpan(ProtoReader reader, TelemetrySource source, string scope)
    {
        string traceId = "", spanId = "", parent = "", name = "", statusMessage = "";
        var kind = SpanKind.Unspecified;
        var status = SpanStatusCode.Unset;
        long start = 0, end = 0;
        List<Attr>? attributes = null;
        List<SpanEvent>? events = null;
        List<SpanLink>? links = null;
        while (reader.ReadTag() is var field and not 0)
        {
            switch (field)
            {
                case 1: traceId = ReadId(ref reader, 16, "trace_id"); break;
                case 2: spanId = ReadId(ref reader, 8, "span_id"); break;
                case 4: parent = ReadId(ref reader, 8, "parent_span_id"); break;
                case 5: name = reader.ReadString(); break;
                case 6: kind = (SpanKind)Math.Clamp(reader.ReadInt32(), 0, 5); break;
                case 7: start = (long)reader.ReadFixed64(); break;
                case 8: end = (long)reader.ReadFixed64(); break;
                case 9: (attributes ??= []).Add(ReadKeyValue(reader.ReadMessage())); break;
                case 11: (events ??= []).Add(ReadEvent(reader.ReadMessage())); break;
                case 13: (links ??= []).Add(ReadLink(reader.ReadMessage())); break;
                case 15: (status, statusMessage) = ReadStatus(reader.ReadMessage()); break;
                default: reader.Skip(); break;
            }
        }

        if (traceId.Length == 0 || spanId.Length == 0)
        {
            throw new OtlpFormatException("A span has no trace_id or span_id.");
        }

        return new SpanData(traceId, spanId, parent, name, kind, start, Math.Max(start, end), status, statusMessage,
            source.Service, source.Instance, scope, (IReadOnlyList<Attr>?)attributes ?? [],
            (IReadOnlyList<SpanEvent>?)events ?? [], (IReadOnlyList<SpanLink>?)links ?? []);
    }

    // Event: 1 time, 2 name, 3 attributes.
    private static SpanEvent ReadEvent(ProtoReader reader)
    {
        long time = 0;
        var name = "";
        var attributes = new List<Attr>();
        while (reader.ReadTag() is var field and not 0)
        {
            switch (field)
            {
                case 1: time = (long)reader.ReadFixed64(); break;
                case 2: name = reader.ReadString(); break;
                case 3: attributes.Add(ReadKeyValue(reader.ReadMessage())); break;
                default: reader.Skip(); break;
            }
        }

        return new SpanEvent(time, name, attributes);
    }

    // Link: 1 trace_id, 2 span_id, 3 trace_state, 4 attributes.
    private static SpanLink ReadLink(ProtoReader reader)
    {
        string traceId = "", spanId = "";
        var attributes = new List<Attr>();
        while (reader.ReadTag() is var field and not 0)
        {
            switch (field)
            {
                case 1: traceId = ReadId(ref reader, 16, "link trace_id"); break;
                case 2: spanId = ReadId(ref reader, 8, "link span_id"); break;
                case 4: attributes.Add(ReadKeyValue(reader.ReadMessage())); break;
                default: reader.Skip(); break;
            }
        }

        return new SpanLink(traceId, spanId, attributes);
    }

    // Status: 2 message, 3 code.
    private static (SpanStatusCode, string) ReadStatus(ProtoReader reader)
    {
        var code = SpanStatusCode.Unset;
        var message = "";
        while (reader.ReadTag() is var field and not 0)
        {
            switch (field)
            {
                case 2: message = reader.ReadString(); break;
                case 3: code = (SpanStatusCode)Math.Clamp(reader.ReadInt32(), 0, 2); break;
                default: reader.Skip(); break;
            }
        }

        return (code, message);
    }

    // ResourceLogs: 1 resource, 2 scope_logs. ScopeLogs: 1 scope, 2 log_records.
    private static void ReadResourceLogs(ProtoReader reader, TelemetryBatch batch)
    {
        var source = FindResource(reader);
        batch.Sources.Add(source);
        while (reader.ReadTag() is var field and not 0)
        {
            if (field != 2) { reader.Skip(); continue; }
            var scopeReader = reader.ReadMessage();
            var scope = FindScopeName(scopeReader);
            while (scopeReader.ReadTag() is var inner and not 0)
            {
                if (inner == 2) { batch.Logs.Add(ReadLogRecord(scopeReader.ReadMessage(), source, scope)); } else { scopeReader.Skip(); }
            }
        }
    }

    // LogRecord: 1 time, 11 observed_time, 2 severity_number, 3 severity_text, 5 body, 6 attributes, 8 flags,
    // 9 trace_id, 10 span_id, 12 event_name.
    private static LogData ReadLogRecord(ProtoReader reader, TelemetrySource source, string scope)
    {
        long time = 0, observed = 0;
        var severity = 0;
        string severityText = "", body = "", traceId = "", spanId = "", eventName = "";
        var attributes = new List<Attr>();
        while (reader.ReadTag() is var field and not 0)
        {
            switch (field)
            {
                case 1: time = (long)reader.ReadFixed64(); break;
                case 11: observed = (long)reader.ReadFixed64(); break;
                case 2: severity = reader.ReadInt32(); break;
                case 3: severityText = reader.ReadString(); break;
                case 5: body = ReadAnyValue(reader.ReadMessage()); break;
                case 6: attributes.Add(ReadKeyValue(reader.ReadMessage())); break;
                case 9: traceId = ReadId(ref reader, 16, "trace_id"); break;
                case 10: spanId = ReadId(ref reader, 8, "span_id"); break;
                case 12: eventName = reader.ReadString(); break;
                default: reader.Skip(); break;
            }
        }

        return new LogData(time != 0 ? time : observed, severity, severityText, body, traceId, spanId,
            source.Service, source.Instance, scope, eventName, attributes);
    }

    private static readonly TelemetrySource EmptySource = new("unknown_service", "", []);

    /// <summary>Field 1 of ResourceSpans/ResourceLogs/ResourceMetrics, read from a copy of the reader.</summary>
    private static TelemetrySource FindResource(ProtoReader reader)
    {
        var source = EmptySource;
        while (reader.ReadTag() is var field and not 0)
        {
            if (field == 1) { source = ReadResource(reader.ReadMessage()); } else { reader.Skip(); }
        }

        return source;
    }

    /// <summary>Field 1 of ScopeSpans/ScopeLogs/ScopeMetrics, read from a copy of the reader.</summary>
    private static string FindScopeName(ProtoReader reader)
    {
        var name = "";
        while (reader.ReadTag() is var field and not 0)
        {
            if (field == 1) { name = ReadScopeName(reader.ReadMessage()); } else { reader.Skip(); }
        }

        return name;
    }

    // Resource: 1 attributes, 2 dropped_attributes_count.
    private static TelemetrySource ReadResource(ProtoReader reader)
    {
        var attributes = new List<Attr>();
        while (reader.ReadTag() is var field and not 0)
        {
            if (field == 1) { attributes.Add(ReadKeyValue(reader.ReadMessage())); } else { reader.Skip(); }
        }

        string service = "unknown_service", instance = "";
        foreach (var a in attributes)
        {
            if (a.Key == "service.name") { service = a.Value; }
            else if (a.Key == "service.instance.id") { instance = a.Value; }
        }

        return new TelemetrySource(service, instance, attributes);
    }

    // InstrumentationScope: 1 name, 2 version, 3 attributes.
    private static string ReadScopeName(ProtoReader reader)
    {
        var name = "";
        while (reader.ReadTag() is var field and not 0)
        {
            if (field == 1) { name = reader.ReadString(); } else { reader.Skip(); }
        }

        return name;
    }

    // KeyValue: 1 key, 2 value.
    private static Attr ReadKeyValue(ProtoReader reader)
    {
        string key = "", value = "";
        while (reader.ReadTag() is var field and not 0)
        {
            switch (field)
            {
                case 1: key = reader.ReadString(); break;
                case 2: value = ReadAnyValue(reader.ReadMessage()); break;
                default: reader.Skip(); break;
            }
        }

        return new Attr(key, value);
    }

    // AnyValue: 1 string, 2 bool, 3 int64, 4 double, 5 ArrayValue(1 values), 6 KeyValueList(1 values), 7 bytes.
    private static string ReadAnyValue(ProtoReader reader)
    {
        var value = "";
        while (reader.ReadTag() is var field and not 0)
        {
            switch (field)
            {
                case 1: value = reader.ReadString(); break;
                case 2: value = reader.ReadBool() ? "true" : "false"; break;
                case 3: value = reader.ReadInt64().ToString(CultureInfo.InvariantCulture); break;
                case 4: value = reader.ReadDouble().ToString("R", CultureInfo.InvariantCulture); break;
                case 5: value = ReadArray(reader.ReadMessage()); break;
                case 6: value = ReadKeyValueList(reader.ReadMessage()); break;
                case 7: value = Convert.ToBase64String(reader.ReadBytes()); break;
                default: reader.Skip(); break;
            }
        }

        return value;
    }

    private static string ReadArray(ProtoReader reader)
    {
        var text = new StringBuilder("[");
        while (reader.ReadTag() is var field and not 0)
        {
            if (field != 1) { reader.Skip(); continue; }
            if (text.Length > 1) { text.Append(", "); }
            text.Append(ReadAnyValue(reader.ReadMessage()));
        }

        return text.Append(']').ToString();
    }

    private static string ReadKeyValueList(ProtoReader reader)
    {
        var text = new StringBuilder("{");
        while (reader.ReadTag() is var field and not 0)
        {
            if (field != 1) { reader.Skip(); continue; }
            if (text.Length > 1) { text.Append(", "); }
            var kv = ReadKeyValue(reader.ReadMessage());
            text.Append(kv.Key).Append(": ").Append(kv.Value);
        }

        return text.Append('}').ToString();
    }

    /// <summary>Ids are fixed-size byte strings; empty means absent, any other length is malformed.</summary>
    private static string ReadId(ref ProtoReader reader, int size, string what)
    {
        var bytes = reader.ReadBytes();
        if (bytes.IsEmpty)
        {
            return "";
        }

        if (bytes.Length != size)
        {
            throw new OtlpFormatException($"{what} is {bytes.Length} bytes; it must be {size}.");
        }

        return Convert.ToHexStringLower(bytes);
    }
}
