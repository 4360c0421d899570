namespace Platform.Hosting.ApplicationModel;

/// <summary>
/// A value supplied from configuration (<c>Parameters:name</c>), or generated once and kept in the AppHost's state folder
/// when it has a <see cref="Default"/>. Published as <c>parameter.v0</c>.
/// </summary>
public sealed class ParameterResource(string name, bool secret, GenerateParameterDefault? @default = null)
    : Resource(name), IValueProvider, IManifestExpressionProvider
{
    private string? _value;

    public bool Secret { get; } = secret;

    public GenerateParameterDefault? Default { get; set; } = @default;

    public string ConfigurationKey => $"Parameters:{Name}";

    public string ValueExpression => $"{{{Name}.value}}";

    public bool HasValue => _value is not null;

    /// <summary>The run-mode value; resolved when the application starts.</summary>
    public string Value => _value ?? throw new InvalidOperationException(
        $"Parameter '{Name}' has no value yet: values are resolved when the application starts.");

    public ValueTask<string?> GetValueAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult<string?>(Value);

    internal void SetValue(string value) => _value = value;
}

/// <summary>How a missing parameter value is generated (a random password by default).</summary>
public sealed record GenerateParameterDefault(int MinLength = 22, bool Lower = true, bool Upper = true, bool Numeric = true, bool Special = false)
{
    public string Generate()
    {
        var pools = new List<string>();
        if (Lower) pools.Add("abcdefghijklmnopqrstuvwxyz");
        if (Upper) pools.Add("ABCDEFGHIJKLMNOPQRSTUVWXYZ");
        if (Numeric) pools.Add("0123456789");
        if (Special) pools.Add("-_.~");
        if (pools.Count == 0) throw new InvalidOperationException("A generated parameter needs at least one character class.");

        var all = string.Concat(pools);
        var chars = new char[Math.Max(MinLength, pools.Count)];
        for (var i = 0; i < chars.Length; i++)
        {
            // The first characters guarantee one of each class; the rest come from every class.
            var pool = i < pools.Count ? pools[i] : all;
            chars[i] = pool[System.Security.Cryptography.RandomNumberGenerator.GetInt32(pool.Length)];
        }

        System.Security.Cryptography.RandomNumberGenerator.Shuffle(chars.AsSpan());
        return new string(chars);
    }
}
