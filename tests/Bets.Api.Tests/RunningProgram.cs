using System.Diagnostics;
using System.Reflection;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Bets.Api.Testing;

/// <summary>
/// Runs an app's real entry point (its Program.cs, unchanged) inside this process on real Kestrel, so tests and
/// benchmarks exercise exactly the composition that ships and cannot drift from it. Settings go in as command-line
/// arguments (the highest-priority configuration source, read before Program.cs composes anything); extra services
/// (a fake TimeProvider) are added through the "HostBuilding" diagnostic event that HostApplicationBuilder.Build()
/// raises before it builds the container, which is how WebApplicationFactory reaches into Program.cs as well.
/// </summary>
/// <remarks>Shared by tests/Bets.Api.Tests and bench/Bets.Bench (linked source).</remarks>
public sealed class RunningProgram : IAsyncDisposable
{
    private static readonly AsyncLocal<Launch?> Current = new();
    private readonly IHost _host;
    private readonly Task _exited;

    private RunningProgram(IHost host, Uri address, Task exited)
    {
        _host = host;
        Address = address;
        _exited = exited;
    }

    public Uri Address { get; }
    public IServiceProvider Services => _host.Services;

    /// <param name="entryAssembly">The app (its assembly's entry point is Program.cs).</param>
    /// <param name="settings">Configuration, e.g. <c>ConnectionStrings:redis</c>; applied over appsettings.json.</param>
    /// <param name="configureServices">Runs after Program.cs registered its services, before the container is built.</param>
    public static async Task<RunningProgram> StartAsync(
        Assembly entryAssembly, string environment, IEnumerable<KeyValuePair<string, string?>> settings,
        Action<IServiceCollection>? configureServices = null, CancellationToken ct = default)
    {
        var entryPoint = entryAssembly.EntryPoint ?? throw new ArgumentException($"{entryAssembly.GetName().Name} has no entry point", nameof(entryAssembly));
        List<string> args =
        [
            "--urls=http://127.0.0.1:0",
            $"--environment={environment}",
            $"--applicationName={entryAssembly.GetName().Name}",
            $"--contentRoot={AppContext.BaseDirectory}",
        ];
        args.AddRange(settings.Select(s => $"--{s.Key}={s.Value}"));
        var launch = new Launch(configureServices);

        var thread = new Thread(() =>
        {
            Current.Value = launch;
            try
            {
                // Returns when the host has stopped (Program.cs ends with app.Run()).
                var result = entryPoint.Invoke(null, entryPoint.GetParameters().Length == 0 ? null : [args.ToArray()]);
                if (result is Task task)
                {
                    task.GetAwaiter().GetResult();
                }

                launch.Started.TrySetException(new InvalidOperationException("Program.Main returned before the host started"));
                launch.Exited.TrySetResult();
            }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                launch.Started.TrySetException(e.InnerException);
                launch.Exited.TrySetException(e.InnerException);
            }
        })
        { IsBackground = true, Name = entryAssembly.GetName().Name + " Program.Main" };
        using (DiagnosticListener.AllListeners.Subscribe(launch))
        {
            thread.Start();
            var host = await launch.Started.Task.WaitAsync(TimeSpan.FromSeconds(60), ct);
            var address = host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new RunningProgram(host, new Uri(address), launch.Exited.Task);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        await _exited.WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>One start: reacts only to the host built on its own Program.Main thread (several may start at once).</summary>
    private sealed class Launch(Action<IServiceCollection>? configureServices) : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>
    {
        private readonly List<IDisposable> _subscriptions = [];
        public TaskCompletionSource<IHost> Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Exited { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void OnNext(DiagnosticListener listener)
        {
            if (listener.Name != "Microsoft.Extensions.Hosting")
            {
                return;
            }

            lock (_subscriptions)
            {
                _subscriptions.Add(listener.Subscribe(this));
            }
        }

        public void OnNext(KeyValuePair<string, object?> e)
        {
            if (Current.Value != this)
            {
                return;
            }

            if (e.Key == "HostBuilding")
            {
                switch (e.Value)
                {
                    case IHostBuilder builder: builder.ConfigureServices(Configure); break;
                    case HostApplicationBuilder builder: Configure(builder.Services); break;
                    default: throw new InvalidOperationException($"unexpected HostBuilding payload {e.Value?.GetType()}");
                }
            }
            else if (e.Key == "HostBuilt" && e.Value is IHost host)
            {
                var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
                lifetime.ApplicationStarted.Register(() => Started.TrySetResult(host));
                lock (_subscriptions)
                {
                    foreach (var s in _subscriptions)
                    {
                        s.Dispose();
                    }
                }
            }
        }

        private void Configure(IServiceCollection services)
        {
            // The test process owns the lifetime: no Ctrl+C/SIGTERM handlers per in-process instance.
            services.AddSingleton<IHostLifetime, InProcessLifetime>();
            configureServices?.Invoke(services);
        }

        public void OnCompleted() { }
        public void OnError(Exception error) { }
    }

    private sealed class InProcessLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
