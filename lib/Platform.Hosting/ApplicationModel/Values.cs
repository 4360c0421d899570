namespace Platform.Hosting.ApplicationModel;

/// <summary>A value known in run mode (a port, a password, a connection string).</summary>
public interface IValueProvider
{
    ValueTask<string?> GetValueAsync(CancellationToken cancellationToken = default);
}

/// <summary>The same value as a publish-mode expression, e.g. <c>{redis.bindings.tcp.port}</c> or <c>{redis-password.value}</c>.</summary>
public interface IManifestExpressionProvider
{
    string ValueExpression { get; }
}

/// <summary>Lists the resources a value depends on (its parameters and endpoints), so publishers and the dashboard can find them.</summary>
public interface IValueWithReferences
{
    IEnumerable<object> References { get; }
}
