using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting;

/// <summary>A SQLite file that belongs to one project, which Aspire has no resource for.</summary>
public static class SqliteFileExtensions
{
    /// <summary>The folder a published project's SQLite files live in: a volume of its own.</summary>
    public const string PublishedDataDirectory = "/data";

    /// <summary>
    /// Gives the project <c>ConnectionStrings__&lt;connectionName&gt;=Data Source=&lt;file&gt;</c>: in run mode a file
    /// under the state folder (<c>&lt;state&gt;/&lt;project&gt;/&lt;fileName&gt;</c>, kept across runs), when published
    /// <c>/data/&lt;fileName&gt;</c> on a volume named <c>&lt;project&gt;-data</c>.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithSqliteDatabase(this IResourceBuilder<ProjectResource> builder, string connectionName, string fileName)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var app = builder.ApplicationBuilder;
        var project = builder.Resource.Name;
        var variable = $"ConnectionStrings__{connectionName}";
        if (!app.ExecutionContext.IsRunMode)
        {
            builder.WithAnnotation(new ContainerMountAnnotation($"{project}-data", PublishedDataDirectory, ContainerMountType.Volume, isReadOnly: false));
            return builder.WithEnvironment(variable, $"Data Source={PublishedDataDirectory}/{fileName}");
        }

        // Resolved when the project starts, not now: tests move the state folder after the AppHost's Program has run.
        return builder.WithEnvironment(context =>
        {
            var folder = LocalState.EnsurePrivateDirectory(Path.Combine(app.GetLocalStateDirectory(), project));
            context.EnvironmentVariables[variable] = $"Data Source={Path.Combine(folder, fileName)}";
        });
    }
}
