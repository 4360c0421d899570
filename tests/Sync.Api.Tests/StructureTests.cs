using System.Text.RegularExpressions;

namespace Sync.Api.Tests;

/// <summary>
/// Sync.Api's folders depend one way: Data and Identity at the bottom, then Rooms, Playback and Realtime (the hub, the
/// HTTP rooms API and the duties that talk to clients). The files at its root (errors, options, JSON, the problem
/// filter) depend on none of them; only the composition root (Extensions.cs, Program.cs) sees every folder.
/// </summary>
public sealed partial class StructureTests
{
    private static readonly Dictionary<string, int> Rank = new(StringComparer.Ordinal)
    {
        ["Data"] = 0,
        ["Identity"] = 0,
        ["Rooms"] = 1,
        ["Playback"] = 2,
        ["Realtime"] = 3,
    };

    [Fact]
    public void EveryFolderDependsOnlyOnTheFoldersBelowIt()
    {
        var project = Path.Combine(RepositoryRoot(), "Sync.Api");
        var violations = new List<string>();
        foreach (var file in Directory.EnumerateFiles(project, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(project, file).Replace('\\', '/');
            if (relative.StartsWith("bin/", StringComparison.Ordinal) || relative.StartsWith("obj/", StringComparison.Ordinal)
                || relative is "Extensions.cs" or "Program.cs")
            {
                continue;
            }

            var folder = relative.Contains('/', StringComparison.Ordinal) ? relative[..relative.IndexOf('/', StringComparison.Ordinal)] : null;
            var own = folder is null ? -1 : Rank[folder];
            var lineNumber = 0;
            foreach (var line in File.ReadLines(file))
            {
                lineNumber++;
                var code = line.TrimStart();
                if (code.StartsWith("//", StringComparison.Ordinal) || code.StartsWith("namespace ", StringComparison.Ordinal))
                {
                    continue;
                }

                foreach (Match used in Reference().Matches(code))
                {
                    var target = used.Groups["folder"].Value;
                    if (target != folder && Rank[target] >= own)
                    {
                        violations.Add($"{relative}:{lineNumber} ({folder ?? "root"}) uses {target}: {code}");
                    }
                }
            }
        }

        Assert.Empty(violations);
    }

    // "using Sync.Api.Rooms;", "Sync.Api.Rooms.RoomStore" or "Rooms.RoomStore".
    [GeneratedRegex(@"(?:\bSync\.Api\.|(?<![\w.]))(?<folder>Data|Identity|Rooms|Playback|Realtime)\b(?:;|\.[A-Z])")]
    private static partial Regex Reference();

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Platform.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No Platform.sln above {AppContext.BaseDirectory}.");
    }
}
