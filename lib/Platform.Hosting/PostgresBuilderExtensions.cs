using Platform.Hosting.ApplicationModel;

namespace Platform.Hosting;

public static class PostgresBuilderExtensions
{
    /// <summary>A PostgreSQL server (user <c>postgres</c>, generated password <c>&lt;name&gt;-password</c>).</summary>
    public static IResourceBuilder<PostgresServerResource> AddPostgres(this IDistributedApplicationBuilder builder, string name, int? port = null, IResourceBuilder<ParameterResource>? password = null)
    {
        var postgres = new PostgresServerResource(name, ParameterResourceBuilderExtensions.PasswordFor(builder, name, password));
        return builder.AddResource(postgres)
            .WithAnnotation(new ResourceRelationshipAnnotation(postgres.PasswordParameter, "Reference"))
            .WithAnnotation(new EndpointAnnotation(PostgresServerResource.PrimaryEndpointName, "tcp", PostgresServerResource.DefaultPort, port))
            .WithAnnotation(new ContainerImageAnnotation("docker.io", "library/postgres", "15"));
    }

    /// <summary>A database on the server, created when the server is ready; its connection string adds <c>Database=</c>.</summary>
    public static IResourceBuilder<PostgresDatabaseResource> AddDatabase(this IResourceBuilder<PostgresServerResource> builder, string name, string? databaseName = null)
    {
        var database = new PostgresDatabaseResource(name, databaseName ?? name, builder.Resource);
        builder.Resource.AddDatabase(name, database.DatabaseName);
        return builder.ApplicationBuilder.AddResource(database);
    }
}
