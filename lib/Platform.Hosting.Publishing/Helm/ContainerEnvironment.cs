using Platform.Hosting.Publishing.Model;
using static Platform.Hosting.Publishing.Helm.HelmText;

namespace Platform.Hosting.Publishing.Helm;

/// <summary>
/// A container's environment: the plain variables (for the ConfigMap), then <c>env</c> entries that declare each
/// parameter the container uses from the parameters Secret or ConfigMap, then the variables that embed parameters,
/// written with <c>$(VAR)</c> references to those, which the kubelet expands in order.
/// </summary>
internal sealed class ContainerEnvironment
{
    private readonly string _parametersName;
    private readonly Workload _workload;
    private readonly Dictionary<(PublishedParameter, bool), string> _declared = [];
    private readonly List<object?> _parameterEntries = [];
    private readonly List<object?> _composedEntries = [];

    public ContainerEnvironment(string parametersName, Workload workload)
    {
        _parametersName = parametersName;
        _workload = workload;

        // Variables that are a parameter and nothing else declare it under their own name.
        foreach (var (name, value) in workload.Environment)
        {
            if (value.AsParameter is { } parameter)
            {
                _parameterEntries.Add(Reference(name, parameter, uriEncoded: false));
                _declared.TryAdd((parameter, false), name);
            }
        }

        foreach (var (name, value) in workload.Environment.Where(e => e.Value.HasParameters && e.Value.AsParameter is null))
        {
            _composedEntries.Add(new YMap { { "name", name }, { "value", TemplateSafe(Compose(value)) } });
        }
    }

    public List<object?> Entries => [.. _parameterEntries, .. _composedEntries];

    public IReadOnlyList<KeyValuePair<string, string>> ConfigMap() =>
        [.. _workload.Environment.Where(e => !e.Value.HasParameters).Select(e => new KeyValuePair<string, string>(e.Key, e.Value.Text))];

    /// <summary>The value with its parameters as <c>$(VAR)</c>, declaring each variable the first time.</summary>
    public string Compose(PublishedValue value) => value.Render(Expandable, part => $"$({Declare(part.Parameter, part.UriEncoded)})");

    private string Declare(PublishedParameter parameter, bool uriEncoded)
    {
        if (_declared.TryGetValue((parameter, uriEncoded), out var existing))
        {
            return existing;
        }

        var name = parameter.EnvironmentName + (uriEncoded ? "_URI" : string.Empty);
        if (_workload.Environment.Any(e => e.Key == name) || _declared.ContainsValue(name))
        {
            name = "PARAMETER_" + name;
        }

        _parameterEntries.Add(Reference(name, parameter, uriEncoded));
        _declared.Add((parameter, uriEncoded), name);
        return name;
    }

    private YMap Reference(string name, PublishedParameter parameter, bool uriEncoded) => new()
    {
        { "name", name },
        {
            "valueFrom", parameter.Secret
                ? new YMap { { "secretKeyRef", new YMap { { "name", _parametersName }, { "key", parameter.Name + (uriEncoded ? "-uri" : string.Empty) } } } }
                : new YMap { { "configMapKeyRef", new YMap { { "name", _parametersName }, { "key", parameter.Name + (uriEncoded ? "-uri" : string.Empty) } } } }
        },
    };
}
