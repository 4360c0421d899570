namespace Platform.Hosting.ApplicationModel;

/// <summary>A PostgreSQL server. Run mode: Debian's binaries, initdb into the state folder; publish mode: the postgres image.</summary>
public sealed class PostgresServerResource(string name, ParameterResource password)
    : Resource(name), IResourceWithConnectionString, IResourceWithEnvironment, IResourceWithEndpoints, IResourceWithWaitSupport
{
    public const string PrimaryEndpointName = "tcp";
    public const int DefaultPort = 5432;

    private readonly Dictionary<string, string> _databases = new(StringComparer.Ordinal);

    public ParameterResource PasswordParameter { get; } = password;

    public string UserName { get; set; } = "postgres";

    public EndpointReference PrimaryEndpoint => new(this, PrimaryEndpointName);

    /// <summary>Resource name to database name.</summary>
    public IReadOnlyDictionary<string, string> Databases => _databases;

    public bool HasDataVolume => Annotations.OfType<DataVolumeAnnotation>().Any();

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"Host={PrimaryEndpoint.Host};Port={PrimaryEndpoint.Port};Username={UserName};Password={PasswordParameter}");

    internal void AddDatabase(string resourceName, string databaseName) => _databases.Add(resourceName, databaseName);
}

/// <summary>A database of a <see cref="PostgresServerResource"/>, created when the server is ready.</summary>
public sealed class PostgresDatabaseResource(string name, string databaseName, PostgresServerResource parent)
    : Resource(name), IResourceWithParent<PostgresServerResource>, IResourceWithConnectionString, IResourceWithWaitSupport
{
    public string DatabaseName { get; } = databaseName;

    public PostgresServerResource Parent { get; } = parent;

    IResource IResourceWithParent.Parent => Parent;

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{Parent};Database={DatabaseName}");
}
