namespace Platform.Hosting.ApplicationModel;

/// <summary>A marker for everything attached to a resource: endpoints, environment, waits, images, health checks.</summary>
public interface IResourceAnnotation;

/// <summary>One named thing the AppHost runs (run mode) or describes (publish mode).</summary>
public interface IResource
{
    string Name { get; }

    ResourceAnnotationCollection Annotations { get; }
}

public interface IResourceWithParent : IResource
{
    IResource Parent { get; }
}

public interface IResourceWithParent<out T> : IResourceWithParent where T : IResource
{
    new T Parent { get; }
}

public interface IResourceWithEnvironment : IResource;

public interface IResourceWithArgs : IResource;

public interface IResourceWithEndpoints : IResource;

public interface IResourceWithWaitSupport : IResource;

/// <summary>A resource that other resources can find through <c>services__name__endpoint__0</c>.</summary>
public interface IResourceWithServiceDiscovery : IResourceWithEndpoints;

/// <summary>A resource whose clients get <c>ConnectionStrings__name</c>.</summary>
public interface IResourceWithConnectionString : IResource, IValueProvider, IManifestExpressionProvider
{
    ReferenceExpression ConnectionStringExpression { get; }

    ValueTask<string?> IValueProvider.GetValueAsync(CancellationToken cancellationToken) =>
        ConnectionStringExpression.GetValueAsync(cancellationToken);

    string IManifestExpressionProvider.ValueExpression => $"{{{Name}.connectionString}}";

    /// <summary>The name under <c>ConnectionStrings</c> its clients read; the resource name by default.</summary>
    string ConnectionStringName => Name;
}

public abstract class Resource : IResource
{
    protected Resource(string name)
    {
        ModelName.Validate(name);
        Name = name;
    }

    public string Name { get; }

    public ResourceAnnotationCollection Annotations { get; } = [];

    public override string ToString() => $"{GetType().Name} {Name}";
}

public sealed class ResourceAnnotationCollection : List<IResourceAnnotation>
{
    public IEnumerable<T> OfType<T>() where T : IResourceAnnotation => Enumerable.OfType<T>(this);
}

public static class ModelName
{
    /// <summary>Names are DNS labels (they become host names, env var segments and file names when published).</summary>
    public static void Validate(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (name.Length > 64 || !char.IsAsciiLetter(name[0]) || name.EndsWith('-') || name.Contains("--", StringComparison.Ordinal)
            || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
        {
            throw new ArgumentException(
                $"'{name}' is not a valid resource name: use ASCII letters, digits and single dashes, starting with a letter (at most 64 characters).",
                nameof(name));
        }
    }
}
