namespace Platform.Hosting;

/// <summary>Implemented by the generated <c>Projects.*</c> classes (one per ProjectReference of the AppHost).</summary>
public interface IProjectMetadata
{
    /// <summary>Full path of the project file.</summary>
    string ProjectPath { get; }
}
