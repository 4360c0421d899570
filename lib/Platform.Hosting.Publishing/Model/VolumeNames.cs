using System.Text;

namespace Platform.Hosting.Publishing.Model;

/// <summary>
/// Volumes are named after where they are mounted (<c>/data</c> → <c>data</c>, <c>/var/lib/postgresql</c> →
/// <c>var-lib-postgresql</c>), not after the model's volume name, which may carry a hash of the AppHost's path: a
/// claim or Compose volume must keep its name from one publish to the next, or the data is left behind.
/// </summary>
internal static class VolumeNames
{
    public static string FromTarget(string target)
    {
        var name = new StringBuilder();
        foreach (var c in target.ToLowerInvariant())
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                name.Append(c);
            }
            else if (name.Length > 0 && name[^1] != '-')
            {
                name.Append('-');
            }
        }

        var text = name.ToString().Trim('-');
        return text.Length == 0 ? "root" : text[..Math.Min(text.Length, 40)].Trim('-');
    }
}
