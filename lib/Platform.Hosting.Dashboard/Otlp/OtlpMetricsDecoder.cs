using Platform.Hosting.Dashboard.Telemetry;

namespace Platform.Hosting.Dashboard.Otlp;

internal static partial class OtlpDecoder
{
    /// <summary>ExportMetricsServiceRequest: 1 = repeated ResourceMetrics (1 resource, 2 scope_metrics).</summary>
    public static TelemetryBatch DecodeMetrics(ReadOnlySpan<byte> payload)
    {
        var batch = new TelemetryBatch();
        var reader = new ProtoReader(payload);
        while (reader.ReadTag() is var field and not 0)
        {
            if (field != 1) { reader.Skip(); continue; }
            var resourceReader = reader.ReadMessage();
            var source = FindResource(resourceReader);
            batch.Sources.Add(source);
            while (resourceReader.ReadTag() is var inner and not 0)
            {
                if (inner == 2) { ReadScopeMetrics(resourceReader.ReadMessage(), source, batch); } else { resourceReader.Skip(); }
            }
        }

        return batch;
    }

    // ScopeMetrics: 1 scope, 2 metrics.
    private static void ReadScopeMetrics(ProtoReader reader, TelemetrySource source, TelemetryBatch batch)
    {
        var scope = FindScopeName(reader);
        while (reader.ReadTag() is var field and not 0)
        {
            if (field == 2) { ReadMetric(reader.ReadMessage(), source, scope, batch); } else { reader.Skip(); }
        }
    }

    private readonly record struct MetricHeader(string Service, string Instance, string Scope, string Name, string Description, string Unit);

    // Metric: 1 name, 2 description, 3 unit, 5 gauge, 7 sum, 9 histogram, 10 exponential_histogram, 11 summary.
    // The data field may precede name/unit on the wire, so the header is read in a first pass.
    private static void ReadMetric(ProtoReader reader, TelemetrySource source, string scope, TelemetryBatch batch)
    {
        string name = "", description = "", unit = "";
        var first = reader;
        while (first.ReadTag() is var field and not 0)
        {
            switch (field)
            {
                case 1: name = first.ReadString(); break;
                case 2: description = first.ReadString(); break;
                case 3: unit = first.ReadString(); break;
                default: first.Skip(); break;
            }
        }

        var header = new MetricHeader(source.Service, source.Instance, scope, name, description, unit);
        while (reader.ReadTag() is var field and not 0)
        {
            switch (field)
            {
                case 5: ReadNumberData(reader.ReadMessage(), header, MetricKind.Gauge, batch); break;
                case 7: ReadNumberData(reader.ReadMessage(), header, MetricKind.Sum, batch); break;
                case 9: ReadHistogramData(reader.ReadMessage(), header, batch); break;
                case 10: ReadExponentialData(reader.ReadMessage(), header, batch); break;
                case 11: ReadSummaryData(reader.ReadMessage(), header, batch); break;
                default: reader.Skip(); break;
            }
        }
    }

    // Gauge: 1 data_points. Sum: 1 data_points, 2 aggregation_temporality, 3 is_monotonic.
    private static void ReadNumberData(ProtoReader reader, MetricHeader header, MetricKind kind, TelemetryBatch batch)
    {
        var (temporality, monotonic) = ReadAggregation(reader);
        while (reader.ReadTag() is var field and not 0)
        {
            if (field != 1) { reader.Skip(); continue; }

            // NumberDataPoint: 7 attributes, 2 start, 3 time, 4 as_double, 6 as_int (sfixed64).
            var point = reader.ReadMessage();
            var attributes = new List<Attr>();
            long start = 0, time = 0;
            double value = 0;
            while (point.ReadTag() is var f and not 0)
            {
                switch (f)
                {
                    case 7: attributes.Add(ReadKeyValue(point.ReadMessage())); break;
                    case 2: start = (long)point.ReadFixed64(); break;
                    case 3: time = (long)point.ReadFixed64(); break;
                    case 4: value = point.ReadDouble(); break;
                    case 6: value = (long)point.ReadFixed64(); break;
                    default: point.Skip(); break;
                }
            }

            batch.Points.Add(NewPoint(header, kind, monotonic, temporality, attributes, start, time, value, 0, null, null, null, null));
        }
    }

    // Histogram: 1 data_points, 2 temporality. HistogramDataPoint: 9 attributes, 2 start, 3 time, 4 count, 5 sum,
    // 6 bucket_counts, 7 explicit_bounds, 11 min, 12 max.
    private static void ReadHistogramData(ProtoReader reader, MetricHeader header, TelemetryBatch batch)
    {
        var (temporality, _) = ReadAggregation(reader);
        while (reader.ReadTag() is var field and not 0)
        {
            if (field != 1) { reader.Skip(); continue; }
            var point = reader.ReadMessage();
            var attributes = new List<Attr>();
            var counts = new List<ulong>();
            var bounds = new List<double>();
            long start = 0, time = 0;
            ulong count = 0;
            double sum = 0;
            double? min = null, max = null;
            while (point.ReadTag() is var f and not 0)
            {
                switch (f)
                {
                    case 9: attributes.Add(ReadKeyValue(point.ReadMessage())); break;
                    case 2: start = (long)point.ReadFixed64(); break;
                    case 3: time = (long)point.ReadFixed64(); break;
                    case 4: count = point.ReadFixed64(); break;
                    case 5: sum = point.ReadDouble(); break;
                    case 6: point.ReadPackedFixed64(counts); break;
                    case 7: point.ReadPackedDouble(bounds); break;
                    case 11: min = point.ReadDouble(); break;
                    case 12: max = point.ReadDouble(); break;
                    default: point.Skip(); break;
                }
            }

            if (counts.Count != 0 && counts.Count != bounds.Count + 1)
            {
                throw new OtlpFormatException("A histogram point must have one more bucket count than explicit bounds.");
            }

            batch.Points.Add(NewPoint(header, MetricKind.Histogram, false, temporality, attributes, start, time, sum, count, min, max, bounds, counts));
        }
    }

    // ExponentialHistogramDataPoint: 1 attributes, 2 start, 3 time, 4 count, 5 sum, 6 scale (sint32), 7 zero_count,
    // 8 positive, 9 negative (Buckets: 1 offset sint32, 2 bucket_counts packed uint64), 12 min, 13 max.
    private static void ReadExponentialData(ProtoReader reader, MetricHeader header, TelemetryBatch batch)
    {
        var (temporality, _) = ReadAggregation(reader);
        while (reader.ReadTag() is var field and not 0)
        {
            if (field != 1) { reader.Skip(); continue; }
            var point = reader.ReadMessage();
            var attributes = new List<Attr>();
            long start = 0, time = 0;
            ulong count = 0, zero = 0;
            double sum = 0;
            double? min = null, max = null;
            var scale = 0;
            (int Offset, List<ulong> Counts) positive = (0, []), negative = (0, []);
            while (point.ReadTag() is var f and not 0)
            {
                switch (f)
                {
                    case 1: attributes.Add(ReadKeyValue(point.ReadMessage())); break;
                    case 2: start = (long)point.ReadFixed64(); break;
                    case 3: time = (long)point.ReadFixed64(); break;
                    case 4: count = point.ReadFixed64(); break;
                    case 5: sum = point.ReadDouble(); break;
                    case 6: scale = point.ReadSInt32(); break;
                    case 7: zero = point.ReadFixed64(); break;
                    case 8: positive = ReadBuckets(point.ReadMessage()); break;
                    case 9: negative = ReadBuckets(point.ReadMessage()); break;
                    case 12: min = point.ReadDouble(); break;
                    case 13: max = point.ReadDouble(); break;
                    default: point.Skip(); break;
                }
            }

            batch.Points.Add(NewPoint(header, MetricKind.ExponentialHistogram, false, temporality, attributes, start, time, sum, count, min, max, null, null) with
            {
                Scale = scale,
                ZeroCount = zero,
                PositiveOffset = positive.Offset,
                PositiveCounts = positive.Counts,
                NegativeOffset = negative.Offset,
                NegativeCounts = negative.Counts,
            });
        }
    }

    private static (int Offset, List<ulong> Counts) ReadBuckets(ProtoReader reader)
    {
        var offset = 0;
        var counts = new List<ulong>();
        while (reader.ReadTag() is var field and not 0)
        {
            switch (field)
            {
                case 1: offset = reader.ReadSInt32(); break;
                case 2: reader.ReadPackedVarint(counts); break;
                default: reader.Skip(); break;
            }
        }

        return (offset, counts);
    }

    // Summary: 1 data_points. SummaryDataPoint: 7 attributes, 2 start, 3 time, 4 count, 5 sum.
    private static void ReadSummaryData(ProtoReader reader, MetricHeader header, TelemetryBatch batch)
    {
        while (reader.ReadTag() is var field and not 0)
        {
            if (field != 1) { reader.Skip(); continue; }
            var point = reader.ReadMessage();
            var attributes = new List<Attr>();
            long start = 0, time = 0;
            ulong count = 0;
            double sum = 0;
            while (point.ReadTag() is var f and not 0)
            {
                switch (f)
                {
                    case 7: attributes.Add(ReadKeyValue(point.ReadMessage())); break;
                    case 2: start = (long)point.ReadFixed64(); break;
                    case 3: time = (long)point.ReadFixed64(); break;
                    case 4: count = point.ReadFixed64(); break;
                    case 5: sum = point.ReadDouble(); break;
                    default: point.Skip(); break;
                }
            }

            batch.Points.Add(NewPoint(header, MetricKind.Summary, false, 0, attributes, start, time, sum, count, null, null, null, null));
        }
    }

    /// <summary>aggregation_temporality (2) and is_monotonic (3), read from a copy of the reader.</summary>
    private static (int Temporality, bool Monotonic) ReadAggregation(ProtoReader reader)
    {
        var temporality = 0;
        var monotonic = false;
        while (reader.ReadTag() is var field and not 0)
        {
            switch (field)
            {
                case 2: temporality = reader.ReadInt32(); break;
                case 3: monotonic = reader.ReadBool(); break;
                default: reader.Skip(); break;
            }
        }

        return (temporality, monotonic);
    }

    private static MetricPoint NewPoint(MetricHeader h, MetricKind kind, bool monotonic, int temporality, List<Attr> attributes,
        long start, long time, double value, ulong count, double? min, double? max, List<double>? bounds, List<ulong>? counts) =>
        new(h.Service, h.Instance, h.Scope, h.Name, h.Description, h.Unit, kind, monotonic, temporality, attributes,
            start, time, value, count, min, max, bounds, counts);
}
