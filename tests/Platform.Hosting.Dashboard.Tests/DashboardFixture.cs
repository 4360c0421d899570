using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Platform.Hosting.Dashboard;
using Platform.Hosting.Dashboard.Resources;

namespace Platform.Hosting.Dashboard.Tests;

/// <summary>A dashboard on random loopback ports, shared by the tests of one class.</summary>
public class DashboardFixture : IAsyncLifetime
{
    public DashboardServer Server { get; private set; } = null!;

    /// <summary>An API client that signs in with the token as a bearer header.</summary>
    public HttpClient Api { get; private set; } = null!;

    protected virtual IDashboardResourceService? Resources => null;

    protected virtual void Configure(DashboardOptions options)
    {
    }

    public async ValueTask InitializeAsync()
    {
        var options = new DashboardOptions { FrontendPort = 0, OtlpGrpcPort = 0, OtlpHttpPort = 0 };
        Configure(options);
        Server = await DashboardServer.StartAsync(options, Resources).WaitAsync(TimeSpan.FromSeconds(30));
        Api = new HttpClient { BaseAddress = Server.FrontendUrl, Timeout = TimeSpan.FromSeconds(15) };
        Api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Server.BrowserToken);
    }

    public async Task<T> GetAsync<T>(string path)
    {
        using var response = await Api.GetAsync(path, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<T>(TestContext.Current.CancellationToken))!;
    }

    public virtual async ValueTask DisposeAsync()
    {
        Api.Dispose();
        await Server.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}

internal static class Eventually
{
    /// <summary>Polls until the condition holds (telemetry arrives asynchronously); fails after the timeout.</summary>
    public static async Task<T> WaitAsync<T>(Func<Task<T>> read, Func<T, bool> done, int seconds = 20)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(seconds));
        while (true)
        {
            var value = await read();
            if (done(value))
            {
                return value;
            }

            try
            {
                await Task.Delay(100, cts.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"Condition not met within {seconds}s; last value: {System.Text.Json.JsonSerializer.Serialize(value)}");
            }
        }
    }
}
