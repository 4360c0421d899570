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
        string path;
        if (app.ExecutionContext.IsRunMode)
        {
            var folder = Path.Combine(app.GetLocalStateDirectory(), project);
            path = Path.Combine(folder, fileName);
            app.Eventing.Subscribe<BeforeResourceStartedEvent>(builder.Resource, (_, _) =>
            {
                LocalState.EnsurePrivateDirectory(folder);
                return Task.CompletedTask;
            });
        }
        else
        {
            path = $"{PublishedDataDirectory}/{fileName}";
            builder.WithAnnotation(new ContainerMountAnnotation($"{project}-data", PublishedDataDirectory, ContainerMountType.Volume, isReadOnly: false));
        }

        return builder.WithEnvironment($"ConnectionStrings__{connectionName}", $"Data Source={path}");
    }
}
