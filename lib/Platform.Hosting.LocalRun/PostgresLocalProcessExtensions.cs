using System.Diagnostics;
using Aspire.Hosting.ApplicationModel;
using Platform.Hosting.LocalRun;

namespace Aspire.Hosting;

/// <summary>PostgreSQL from Debian's binaries in run mode, where no container engine is at hand.</summary>
public static class PostgresLocalProcessExtensions
{
    // Aspire mounts the data volume at /var/lib/postgresql (newer images) or /var/lib/postgresql/data.
    private const string DataVolumeTarget = "/var/lib/postgresql";
    private const string SystemUser = "postgres";

    // Debian's postgresql package makes it the postgres user's home, owned by that user.
    private const string SystemUserHome = "/var/lib/postgresql";

    /// <summary>
    /// In run mode, runs this PostgreSQL server as a local process (<c>&lt;name&gt;-process</c>, from Debian's
    /// <c>postgresql</c> package) instead of a container: <c>initdb</c> once with the server's password
    /// (scram-sha-256), TCP on loopback only at a free port from Aspire, as the <c>postgres</c> system user when the
    /// AppHost is root. With <c>WithDataVolume()</c> the cluster is kept under the state folder; without it, it is
    /// fresh on every run. Databases added with <c>AddDatabase</c> are created when the server is ready, by Aspire.
    /// In publish mode nothing changes: the server is Aspire's container.
    /// </summary>
    public static IResourceBuilder<PostgresServerResource> RunAsLocalProcess(this IResourceBuilder<PostgresServerResource> builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var app = builder.ApplicationBuilder;
        if (!app.ExecutionContext.IsRunMode)
        {
            return builder;
        }

        var server = builder.Resource;
        // Read when the process starts, not now: tests move the state folder after the AppHost's Program has run.
        string Folder() => PostgresClusterFolder.For(Path.Combine(app.GetLocalStateDirectory(), "postgres", server.Name),
            runsAsOtherUser: DebianBinaries.IsRoot, otherUsersHome: SystemUserHome);
        var command = DebianBinaries.IsRoot ? "setpriv" : DebianBinaries.FindPostgres("postgres");
        var process = app.AddExecutable($"{server.Name}-process", command, app.AppHostDirectory)
            .WithEndpoint(name: "tcp", scheme: "tcp", isProxied: false)
            .WithIconName("DatabaseMultiple")
            .WithRestartOnCrash()
            // SIGTERM is a smart shutdown, which waits for every client to leave, pooled idle connections included;
            // SIGINT, which the official image sets as its stop signal, ends their sessions and stops at once.
            .WithAnnotation(new StopSignalAnnotation("INT"))
            .WithArgs(context =>
            {
                if (DebianBinaries.IsRoot)
                {
                    // PostgreSQL refuses root; setpriv execs it as the postgres user, so DCP's signals reach the server.
                    context.Args.Add($"--reuid={SystemUser}");
                    context.Args.Add($"--regid={SystemUser}");
                    context.Args.Add("--init-groups");
                    context.Args.Add(DebianBinaries.FindPostgres("postgres"));
                }

                var endpoint = ((IResourceWithEndpoints)context.Resource).GetEndpoint("tcp");
                context.Args.Add("-D");
                context.Args.Add(DataDirectory(server, Folder()));
                context.Args.Add("-p");
                context.Args.Add(endpoint.Property(EndpointProperty.TargetPort));
                context.Args.Add("-h");
                context.Args.Add("127.0.0.1");
                // No Unix socket: TCP only, like a container's published port.
                context.Args.Add("-k");
                context.Args.Add(string.Empty);
            });

        builder.StopRunningAsContainer();
        var serverEndpoint = server.Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == server.PrimaryEndpoint.EndpointName);
        serverEndpoint.IsProxied = false;
        builder.WithLocalProcesses(process);

        app.Eventing.Subscribe<BeforeStartEvent>((_, _) =>
        {
            // Without a data volume the cluster lives for one run of the AppHost (a restart after a crash keeps it).
            var data = DataDirectory(server, Folder());
            if (!HasDataVolume(server) && Directory.Exists(data))
            {
                Directory.Delete(data, recursive: true);
            }

            return Task.CompletedTask;
        });

        app.Eventing.Subscribe<BeforeResourceStartedEvent>(process.Resource, async (@event, cancellationToken) =>
        {
            // The server's own endpoint is where its connection string points: the process's address.
            var allocated = process.Resource.GetEndpoint("tcp").EndpointAnnotation.AllocatedEndpoint
                ?? throw new DistributedApplicationException($"'{process.Resource.Name}' has no port yet.");
            serverEndpoint.AllocatedEndpoint = new AllocatedEndpoint(serverEndpoint, allocated.Address, allocated.Port);
            await InitializeClusterAsync(server, Folder(), cancellationToken).ConfigureAwait(false);
        });
        return builder;
    }

    private static bool HasDataVolume(PostgresServerResource server) =>
        server.Annotations.OfType<ContainerMountAnnotation>().Any(m => m.Target.StartsWith(DataVolumeTarget, StringComparison.Ordinal));

    private static string DataDirectory(PostgresServerResource server, string folder) =>
        Path.Combine(folder, HasDataVolume(server) ? "data" : "run-data");

    private static async Task InitializeClusterAsync(PostgresServerResource server, string folder, CancellationToken cancellationToken)
    {
        var data = DataDirectory(server, folder);
        if (File.Exists(Path.Combine(data, "PG_VERSION")))
        {
            return;
        }

        LocalState.EnsurePrivateDirectory(folder);
        Directory.CreateDirectory(data);
        var passwordFile = Path.Combine(folder, ".pwfile");
        var password = await server.PasswordParameter.GetValueAsync(cancellationToken).ConfigureAwait(false) ?? string.Empty;
        var user = await server.UserNameReference.GetValueAsync(cancellationToken).ConfigureAwait(false) ?? SystemUser;
        await LocalState.WritePrivateFileAsync(passwordFile, password, cancellationToken).ConfigureAwait(false);
        try
        {
            if (DebianBinaries.IsRoot)
            {
                await RunAsync("chown", ["-R", $"{SystemUser}:{SystemUser}", folder], cancellationToken).ConfigureAwait(false);
            }

            string[] initdb = [DebianBinaries.FindPostgres("initdb"), "-D", data, "-U", user, $"--pwfile={passwordFile}",
                "--auth=scram-sha-256", "--encoding=UTF8", "--no-sync", "--no-instructions"];
            await (DebianBinaries.IsRoot
                ? RunAsync("setpriv", [$"--reuid={SystemUser}", $"--regid={SystemUser}", "--init-groups", .. initdb], cancellationToken)
                : RunAsync(initdb[0], initdb[1..], cancellationToken)).ConfigureAwait(false);
        }
        catch
        {
            // A half-initialised folder would be taken for a cluster next time.
            Directory.Delete(data, recursive: true);
            throw;
        }
        finally
        {
            File.Delete(passwordFile);
        }
    }

    private static async Task RunAsync(string fileName, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new DistributedApplicationException($"Could not start '{fileName}'.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new DistributedApplicationException(
                $"'{Path.GetFileName(fileName)} {string.Join(' ', start.ArgumentList)}' failed with exit code {process.ExitCode}: {await error.ConfigureAwait(false)}{await output.ConfigureAwait(false)}");
        }
    }
}
