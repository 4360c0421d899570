using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ServiceDefaults.Tests;

// Activity listeners and the OTLP exporter see every host in the process, so these tests run alone.
[CollectionDefinition(nameof(TelemetryTests), DisableParallelization = true)]
public sealed class TelemetryCollection;

[Collection(nameof(TelemetryTests))]
public sealed class TelemetryTests
{
    private static bool Contains(byte[] body, string text) => body.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0;

    [Fact]
    public async Task TracesMetricsAndLogsLeaveTheProcessWithTheServiceName()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        var settings = new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Address.ToString(),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_EXPORTER_OTLP_HEADERS"] = "x-otlp-api-key=k123",
            ["OTEL_SERVICE_NAME"] = "bets-api",
            ["OTEL_RESOURCE_ATTRIBUTES"] = "service.instance.id=bets-api-0,deployment.environment=test",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "200",
        };
        var host = await TestHost.StartAsync(
            map: app => app.MapGet("/orders/{id}", (int id, ILogger<TelemetryTests> log) =>
            {
                log.LogInformation("Order {OrderId} looked up", id);
                return Results.Ok(id);
            }),
            settings: settings);
        using var http = new HttpClient();
        await http.GetStringAsync(new Uri(host.Address, "/orders/7"), TestContext.Current.CancellationToken).WaitAsync(TestHost.Timeout, TestContext.Current.CancellationToken);
        await http.GetStringAsync(new Uri(host.Address, "/health"), TestContext.Current.CancellationToken).WaitAsync(TestHost.Timeout, TestContext.Current.CancellationToken);
        await receiver.WaitForAsync(r => r.Signal == "metrics" && Contains(r.Body, "http.server.request.duration"), "the request duration metric", TimeSpan.FromSeconds(20));
        // Disposal flushes the batched spans and logs.
        await host.DisposeAsync();

        await receiver.WaitForAsync(r => r.Signal == "traces", "exported traces", TimeSpan.FromSeconds(20));
        await receiver.WaitForAsync(r => r.Signal == "logs", "exported logs", TimeSpan.FromSeconds(20));
        var all = receiver.Requests.ToArray();
        Assert.All(all, r => Assert.Equal("application/x-protobuf", r.ContentType));
        Assert.All(all, r => Assert.Equal("k123", r.ApiKey));
        Assert.All(all, r => Assert.True(Contains(r.Body, "bets-api"), $"{r.Signal} export lacks the service name"));
        Assert.Contains(all, r => r.Signal == "traces" && Contains(r.Body, "GET /orders/{id}") && Contains(r.Body, "bets-api-0"));
        Assert.Contains(all, r => r.Signal == "logs" && Contains(r.Body, "Order 7 looked up"));
    }

    [Fact]
    public async Task HealthProbesAreNotRecordedWhileRequestsGetRouteNamedSpans()
    {
        var stopped = new System.Collections.Concurrent.ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        await using var host = await TestHost.StartAsync(map: app =>
        {
            app.MapGet("/orders/{id}", (int id) => Results.Ok(id));
            app.MapGroup("/bets").MapPost("/", () => Results.Ok());
        });
        using var http = new HttpClient();
        var ct = TestContext.Current.CancellationToken;
        await http.GetStringAsync(new Uri(host.Address, "/health"), ct).WaitAsync(TestHost.Timeout, ct);
        await http.GetStringAsync(new Uri(host.Address, "/alive"), ct).WaitAsync(TestHost.Timeout, ct);
        await http.GetStringAsync(new Uri(host.Address, "/orders/3"), ct).WaitAsync(TestHost.Timeout, ct);
        (await http.PostAsync(new Uri(host.Address, "/bets"), null, ct).WaitAsync(TestHost.Timeout, ct)).EnsureSuccessStatusCode();

        var order = Assert.Single(stopped, a => a.DisplayName == "GET /orders/{id}");
        Assert.True(order.Recorded);
        Assert.Equal(200, order.GetTagItem("http.response.status_code"));
        Assert.Equal("/orders/{id}", order.GetTagItem("http.route"));
        var bet = Assert.Single(stopped, a => a.DisplayName == "POST /bets");
        Assert.Equal("/bets", bet.GetTagItem("http.route"));
        Assert.Equal(2, stopped.Count(a => !a.Recorded));
    }

    [Theory]
    [InlineData(null)]
    // What the AppHost sets for every project in development.
    [InlineData("always_on")]
    public async Task SpansOfUntracedWorkAreNotRecordedWhileOtherSpansAre(string? sampler)
    {
        await using var host = await TestHost.StartAsync(settings: new Dictionary<string, string?> { ["OTEL_TRACES_SAMPLER"] = sampler });
        using var source = new ActivitySource("ServiceDefaults.Tests");
        using (UntracedWork.Start("sweep"))
        {
            using var inside = source.StartActivity("EVALSHA", ActivityKind.Client);
            Assert.True(inside is null || !inside.Recorded);
        }

        Assert.Null(Activity.Current);
        using var outside = source.StartActivity("EVALSHA", ActivityKind.Client);
        Assert.NotNull(outside);
        Assert.True(outside.Recorded);
    }
}
