using System.Net;
using System.Net.Sockets;

namespace Web.Frontend.Tests.Infrastructure;

/// <summary>Where the repository and the built projects are, from the test assembly's own location.</summary>
public static class Repo
{
    public static string Root { get; } = FindRoot();

    /// <summary>Release or Debug: the configuration this test assembly was built with (bin/&lt;Configuration&gt;/net10.0).</summary>
    public static string Configuration { get; } = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/', '\\')).Parent!.Name;

    public static string ClientApp => Path.Combine(Root, "Web.Frontend", "ClientApp");

    /// <summary>The built dll of a project at the repository root, e.g. <c>Dll("Sync.Api")</c>.</summary>
    public static string Dll(string project)
    {
        var path = Path.Combine(Root, project, "bin", Configuration, "net10.0", project + ".dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"{project} is not built ({path}); run ./platform setup or dotnet build.", path);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static string ArtifactsFolder(string name)
    {
        var folder = Path.Combine(Root, "artifacts", "Web.Frontend.Tests", name);
        Directory.CreateDirectory(folder);
        return folder;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Platform.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Platform.sln not found above " + AppContext.BaseDirectory);
    }
}
