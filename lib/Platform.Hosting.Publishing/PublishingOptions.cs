namespace Platform.Hosting.Publishing;

public sealed class PublishingOptions
{
    /// <summary>Name of the Helm chart and prefix of shared objects (the parameters Secret); also the Compose project name.</summary>
    public string ApplicationName { get; set; } = "platform";

    /// <summary>Default image of a project when none is given at deploy time: <c>&lt;resource&gt;:&lt;tag&gt;</c>.</summary>
    public string ProjectImageTag { get; set; } = "latest";

    /// <summary>The port every project listens on in its container (<c>HTTP_PORTS</c>), unless its endpoint says otherwise.</summary>
    public int ProjectHttpPort { get; set; } = 8080;

    /// <summary>Size of each persistent volume claim in the Helm chart (overridable in values.yaml).</summary>
    public string VolumeSize { get; set; } = "1Gi";
}
