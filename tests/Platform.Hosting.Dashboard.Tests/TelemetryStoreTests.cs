using Platform.Hosting.Dashboard.Telemetry;

namespace Platform.Hosting.Dashboard.Tests;

public sealed class TelemetryStoreTests
{
    private static SpanData Span(string service, string trace, int i) =>
        new(trace, i.ToString("x16", System.Globalization.CultureInfo.InvariantCulture), "", "op" + i, SpanKind.Internal,
            i * 1_000, i * 1_000 + 500, SpanStatusCode.Unset, "", service, "", "s", [], [], []);

    private static LogData Log(string service, int i) => new(i, 9, "", "line " + i, "", "", service, "", "s", "", []);

    private static MetricPoint Point(string service, string name, int i, string attribute = "a") =>
        new(service, "", "s", name, "", "", MetricKind.Gauge, false, 0, [new Attr("k", attribute)], 0, i, i, 0, null, null, null, null);

    [Fact]
    public void OldestTelemetryIsEvictedPerResourceAndTracesForgetEvictedSpans()
    {
        var store = new TelemetryStore(new TelemetryStoreOptions { MaxSpansPerResource = 3, MaxLogsPerResource = 2, MaxPointsPerSeries = 2, MaxSeriesPerResource = 2 }, new ChangeFeed());
        var batch = new TelemetryBatch();
        for (var i = 1; i <= 5; i++)
        {
            batch.Spans.Add(Span("a", $"{i:x32}", i));
            batch.Spans.Add(Span("b", $"{i:x32}", 100 + i));
            batch.Logs.Add(Log("a", i));
            batch.Points.Add(Point("a", "g", i));
        }

        batch.Points.Add(Point("a", "g", 9, "second"));
        batch.Points.Add(Point("a", "g", 9, "third (over the series limit)"));
        store.Add(batch);

        var a = store.GetResources().Single(r => r.Name == "a");
        Assert.Equal(3, a.Spans);
        Assert.Equal(2, a.Logs);
        Assert.Null(store.GetTrace($"{1:x32}"));
        Assert.Equal(2, store.GetTrace($"{5:x32}")!.Spans.Count);
        Assert.Equal(3, store.GetTraces().Count);
        Assert.Equal(["line 4", "line 5"], store.GetLogs(new LogQuery("a")).Select(l => l.Body));
        var series = store.GetInstrument("a", "g")!.Series;
        Assert.Equal(2, series.Count);
        Assert.Equal([4.0, 5.0], series.Single(s => s.Attributes[0].Value == "a").Points.Select(p => p.Value));
        Assert.Equal(1, store.DroppedSeriesPoints);
    }

    [Fact]
    public void LogsAfterAnIdAreTheNewOnesOnly()
    {
        var store = new TelemetryStore(new TelemetryStoreOptions(), new ChangeFeed());
        var batch = new TelemetryBatch();
        batch.Logs.AddRange(Enumerable.Range(1, 5).Select(i => Log("x", i)));
        store.Add(batch);
        var third = store.GetLogs(new LogQuery())[2].Id;
        Assert.Equal(["line 4", "line 5"], store.GetLogs(new LogQuery(AfterId: third)).Select(l => l.Body));
    }

    [Fact]
    public async Task TelemetrySurvivesARestartInSqlite()
    {
        var folder = Directory.CreateTempSubdirectory("dashboard-sqlite-");
        try
        {
            var path = Path.Combine(folder.FullName, "telemetry.db");
            var options = new DashboardOptions { FrontendPort = 0, OtlpGrpcPort = -1, OtlpHttpPort = 0, Telemetry = { SqlitePath = path, MaxLogsPerResource = 3 } };
            await using (var first = await DashboardServer.StartAsync(options, cancellationToken: TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken))
            {
                var batch = new TelemetryBatch();
                batch.Spans.Add(Span("api", $"{7:x32}", 7));
                batch.Logs.AddRange(Enumerable.Range(1, 5).Select(i => Log("api", i)));
                batch.Points.Add(Point("api", "price", 1));
                first.Telemetry.Add(batch);
            }

            await using var second = await DashboardServer.StartAsync(options, cancellationToken: TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
            Assert.Equal("op7", second.Telemetry.GetTrace($"{7:x32}")!.Spans.Single().Name);
            Assert.Equal(["line 3", "line 4", "line 5"], second.Telemetry.GetLogs(new LogQuery("api")).Select(l => l.Body));
            Assert.Equal(1.0, second.Telemetry.GetInstrument("api", "price")!.Series.Single().Points.Single().Value);

            // New logs continue the ids, so "after id" queries of an open page keep working.
            var batch2 = new TelemetryBatch();
            batch2.Logs.Add(Log("api", 6));
            second.Telemetry.Add(batch2);
            var logs = second.Telemetry.GetLogs(new LogQuery("api"));
            Assert.True(logs[^1].Id > logs[^2].Id);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            folder.Delete(recursive: true);
        }
    }
}
