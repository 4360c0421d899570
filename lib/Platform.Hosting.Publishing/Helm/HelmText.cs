namespace Platform.Hosting.Publishing.Helm;

/// <summary>How text is written into the chart: Go template actions, literal text a template must not read as one, and
/// text the kubelet expands.</summary>
internal static class HelmText
{
    /// <summary>A name usable as a values key without <c>index</c> (<c>bets-api</c> → <c>bets_api</c>).</summary>
    public static string ValuesKey(string name) => name.Replace('-', '_').Replace('.', '_');

    /// <summary>A quoted template action: <c>"{{ expression }}"</c>.</summary>
    public static YRaw Template(string expression) => new($"\"{{{{ {expression} }}}}\"");

    /// <summary>Literal text inside a template: a "{{" must not start an action.</summary>
    public static YRaw TemplateSafe(string text) => new(Yaml.Quote(text).Replace("{{", "{{ \"{{\" }}", StringComparison.Ordinal));

    /// <summary>
    /// Text the kubelet expands (command, args, env values): <c>$(NAME)</c> is a variable reference and <c>$$</c> a
    /// literal <c>$</c>, so every literal <c>$</c> is doubled (a shell's <c>$(…)</c> in a start script stays a shell's).
    /// </summary>
    public static string Expandable(string literal) => literal.Replace("$", "$$", StringComparison.Ordinal);
}
