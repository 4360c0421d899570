using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace Bets.Api.Tests;

/// <summary>
/// Bets.Api's feature folders depend one way. Each folder may use the folders below it in <see cref="Layers"/> and the
/// API root's shared vocabulary (problem types, request errors, money); the composition root (Program.cs,
/// Extensions.cs) wires them all. A reference up the list is a loop in the making and fails here.
/// </summary>
public sealed partial class DependencyDirectionTests
{
    /// <summary>Bottom first.</summary>
    private static readonly string[] Layers = ["Data", "Auth", "Prices", "Grid", "Wallets", "Bets", "Resolution"];

    private static readonly string[] CompositionRoot = ["Program.cs", "Extensions.cs"];

    private static string SourceRoot([CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", "..", "Bets.Api"));

    /// <summary>Every folder a source file refers to: through using directives and through qualified names.</summary>
    internal static HashSet<string> References(string source)
    {
        // Strings and comments name other things (Prices.Ingest, "Bets.Api") without depending on them.
        var code = RawString().Replace(source, "\"\"");
        code = QuotedString().Replace(code, "\"\"");
        code = LineComment().Replace(code, "");
        var found = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match m in FolderReference().Matches(code))
        {
            found.Add(m.Groups[1].Value);
        }

        return found;
    }

    internal static IEnumerable<string> Violations(string root)
    {
        foreach (var file in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(root, file);
            if (relative.StartsWith("bin", StringComparison.Ordinal) || relative.StartsWith("obj", StringComparison.Ordinal))
            {
                continue;
            }

            var folder = relative.Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal) ? relative[..relative.IndexOf(Path.DirectorySeparatorChar)] : null;
            if (folder is null && CompositionRoot.Contains(relative))
            {
                continue;
            }

            var level = folder is null ? -1 : Array.IndexOf(Layers, folder);
            if (folder is not null && level < 0)
            {
                yield return $"{relative}: folder {folder} is not in the layer list; place it";
                continue;
            }
            foreach (var target in References(File.ReadAllText(file)))
            {
                if (target != folder && Array.IndexOf(Layers, target) >= level)
                {
                    yield return $"{relative} ({folder ?? "API root"}) depends on {target}, which is not below it";
                }
            }
        }
    }

    [Fact]
    public void FeatureFoldersDependOnlyOnTheFoldersBelowThem()
    {
        var violations = Violations(SourceRoot()).ToList();
        Assert.True(violations.Count == 0, "Dependencies against the order " + string.Join(" <- ", Layers) + ":\n" + string.Join('\n', violations));
    }

    [Fact]
    public void TheCheckSeesUsingsAndQualifiedNamesButNotStringsOrComments()
    {
        const string source = """"
            using Bets.Api.Wallets;
            // Prices.Ingest publishes the price; see Grid.GridService
            var type = Resolution.Outcome.Ready(1, 2, 3, 4);
            var problem = Bets.Api.Bets.BetsApi.Problem(400, "Auth.Nope", "t", "d");
            var text = """
                Data.Source
                """;
            """";
        Assert.Equal(new HashSet<string> { "Wallets", "Resolution", "Bets" }, References(source));
    }

    [GeneratedRegex("(?<![\\w.])(?:Bets\\.Api\\.)?(Data|Auth|Prices|Grid|Wallets|Bets|Resolution)(?:\\.(?!Api\\b)[A-Z]\\w*|;)")]
    private static partial Regex FolderReference();

    [GeneratedRegex("\"\"\"[\\s\\S]*?\"\"\"")]
    private static partial Regex RawString();

    [GeneratedRegex("\"(?:[^\"\\\\\\n]|\\\\.)*\"")]
    private static partial Regex QuotedString();

    [GeneratedRegex("//[^\\n]*")]
    private static partial Regex LineComment();
}
