using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace Platform.Hosting.ApplicationModel;

/// <summary>
/// A string built from literals and values (parameters, endpoints, other expressions). Run mode resolves it to text;
/// publish mode writes it as a manifest expression. Create with <c>ReferenceExpression.Create($"…{endpoint.Port}…")</c>.
/// </summary>
public sealed class ReferenceExpression : IValueProvider, IManifestExpressionProvider, IValueWithReferences
{
    private readonly object[] _values;

    private ReferenceExpression(string format, object[] values)
    {
        Format = format;
        _values = values;
    }

    /// <summary>A composite format string: literal braces doubled, value <c>i</c> at <c>{i}</c>.</summary>
    public string Format { get; }

    /// <summary>Each value is both an <see cref="IValueProvider"/> and an <see cref="IManifestExpressionProvider"/>.</summary>
    public IReadOnlyList<object> ValueProviders => _values;

    public IEnumerable<object> References => _values;

    public string ValueExpression =>
        string.Format(CultureInfo.InvariantCulture, Format, _values.Select(v => (object)((IManifestExpressionProvider)v).ValueExpression).ToArray());

    public async ValueTask<string?> GetValueAsync(CancellationToken cancellationToken = default)
    {
        var resolved = new object?[_values.Length];
        for (var i = 0; i < _values.Length; i++)
        {
            resolved[i] = await ((IValueProvider)_values[i]).GetValueAsync(cancellationToken).ConfigureAwait(false);
        }

        return string.Format(CultureInfo.InvariantCulture, Format, resolved);
    }

    /// <summary>Whether any value is a secret parameter (the dashboard masks such values).</summary>
    public bool ContainsSecret => _values.Any(v => v switch
    {
        ParameterResource p => p.Secret,
        ReferenceExpression e => e.ContainsSecret,
        IResourceWithConnectionString => true,
        _ => false,
    });

    public static ReferenceExpression Create(in ExpressionInterpolatedStringHandler handler) => handler.Build();

    public static ReferenceExpression Literal(string text) => new(Escape(text), []);

    internal static ReferenceExpression FromParts(string format, object[] values) => new(format, values);

    internal static string Escape(string text) => text.Replace("{", "{{", StringComparison.Ordinal).Replace("}", "}}", StringComparison.Ordinal);

    public override string ToString() => ValueExpression;

    [InterpolatedStringHandler]
    public ref struct ExpressionInterpolatedStringHandler
    {
        private readonly StringBuilder _format;
        private readonly List<object> _values;

        public ExpressionInterpolatedStringHandler(int literalLength, int formattedCount)
        {
            _format = new StringBuilder(literalLength + (formattedCount * 4));
            _values = new List<object>(formattedCount);
        }

        public readonly void AppendLiteral(string value) => _format.Append(Escape(value));

        public readonly void AppendFormatted<T>(T value)
        {
            switch (value)
            {
                case IValueProvider and IManifestExpressionProvider:
                    _format.Append('{').Append(_values.Count.ToString(CultureInfo.InvariantCulture)).Append('}');
                    _values.Add(value);
                    break;
                case IFormattable f:
                    _format.Append(Escape(f.ToString(null, CultureInfo.InvariantCulture)));
                    break;
                default:
                    _format.Append(Escape(value?.ToString() ?? string.Empty));
                    break;
            }
        }

        internal readonly ReferenceExpression Build() => new(_format.ToString(), [.. _values]);
    }
}
