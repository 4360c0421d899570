using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Platform.Hosting.ApplicationModel;

namespace Platform.Hosting.Publishing;

/// <summary>
/// The Aspire manifest (schema aspire-8.0) that azd reads: <c>--publisher manifest --output-path aspire-manifest.json</c>.
/// Only types azd accepts: container.v0, project.v0, value.v0, parameter.v0. Redis and its Sentinels become one
/// container per instance (<c>redis</c>, <c>redis-1</c>, <c>redis-sentinel</c>, <c>redis-sentinel-1</c>, …).
/// </summary>
internal sealed partial class ManifestPublisher(PublishingOptions options, ILogger<ManifestPublisher> logger) : IDistributedApplicationPublisher
{
    public const string Name = "manifest";

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public async Task PublishAsync(DistributedApplicationModel model, DistributedApplicationExecutionContext executionContext, CancellationToken cancellationToken)
    {
        var path = executionContext.OutputPath ?? throw new DistributedApplicationException("--publisher manifest needs --output-path <file.json>.");
        if (Directory.Exists(path))
        {
            path = Path.Combine(path, "aspire-manifest.json");
        }

        var manifest = Build(new PublishContext(model, executionContext, options), Path.GetDirectoryName(path)!);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, manifest.ToJsonString(JsonOptions) + "\n", cancellationToken).ConfigureAwait(false);
        LogWritten(logger, path);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Wrote the Aspire manifest to {Path}")]
    private static partial void LogWritten(ILogger logger, string path);

    internal static JsonObject Build(PublishContext context, string manifestDirectory)
    {
        var resources = new JsonObject();
        foreach (var resource in context.Model.Resources)
        {
            switch (resource)
            {
                case ParameterResource p:
                    resources[p.Name] = Parameter(p);
                    break;
                case RedisResource r:
                    AddRedis(resources, r);
                    break;
                case RedisSentinelResource s:
                    AddSentinels(resources, s);
                    break;
                case PostgresServerResource pg:
                    resources[pg.Name] = Postgres(pg);
                    break;
                case PostgresDatabaseResource db:
                    resources[db.Name] = new JsonObject { ["type"] = "value.v0", ["connectionString"] = Render(db.ConnectionStringExpression) };
                    break;
                case ProjectResource project:
                    resources[project.Name] = Project(context, project, manifestDirectory);
                    break;
            }
        }

        return new JsonObject { ["$schema"] = "https://json.schemastore.org/aspire-8.0.json", ["resources"] = resources };
    }

    private static string Render(object value) => new ManifestValueRenderer().Render(value);

    private static JsonObject Parameter(ParameterResource parameter)
    {
        var input = new JsonObject { ["type"] = "string" };
        if (parameter.Secret)
        {
            input["secret"] = true;
        }

        if (parameter.Default is { } g)
        {
            var generate = new JsonObject { ["minLength"] = g.MinLength };
            if (!g.Lower) generate["lower"] = false;
            if (!g.Upper) generate["upper"] = false;
            if (!g.Numeric) generate["numeric"] = false;
            if (!g.Special) generate["special"] = false;
            input["default"] = new JsonObject { ["generate"] = generate };
        }

        return new JsonObject
        {
            ["type"] = "parameter.v0",
            ["value"] = $"{{{parameter.Name}.inputs.value}}",
            ["inputs"] = new JsonObject { ["value"] = input },
        };
    }

    private static void AddRedis(JsonObject resources, RedisResource redis)
    {
        var names = PublishContext.InstanceNames(redis);
        var sentinels = redis.Sentinel is { } s
            ? string.Join(',', PublishContext.InstanceNames(s).Select(n => $"{{{n}.bindings.tcp.host}}:{{{n}.bindings.tcp.port}}"))
            : string.Empty;
        for (var i = 0; i < names.Count; i++)
        {
            var container = Container(PublishContext.Image(redis), "/bin/sh", ["-c", RedisScripts.Node],
                PublishContext.RedisEnvironment(redis, $"{{{names[i]}.bindings.tcp.host}}", sentinels, $"{{{names[0]}.bindings.tcp.host}}", sentinel: false),
                RedisResource.PrimaryEndpointName, RedisResource.DefaultPort);
            if (PublishContext.RedisVolume(redis) is { } volume)
            {
                container["volumes"] = new JsonArray(Volume(i == 0 ? volume.Name : $"{volume.Name}-{i}", volume.TargetPath));
            }

            if (i == 0)
            {
                container.Insert(1, "connectionString", Render(redis.ConnectionStringExpression));
            }

            resources[names[i]] = container;
        }
    }

    private static void AddSentinels(JsonObject resources, RedisSentinelResource sentinel)
    {
        var names = PublishContext.InstanceNames(sentinel);
        var redisNames = PublishContext.InstanceNames(sentinel.Parent);
        var all = string.Join(',', names.Select(n => $"{{{n}.bindings.tcp.host}}:{{{n}.bindings.tcp.port}}"));
        for (var i = 0; i < names.Count; i++)
        {
            resources[names[i]] = Container(PublishContext.Image(sentinel), "/bin/sh", ["-c", RedisScripts.Sentinel],
                PublishContext.RedisEnvironment(sentinel.Parent, $"{{{names[i]}.bindings.tcp.host}}", all, $"{{{redisNames[0]}.bindings.tcp.host}}", sentinel: true),
                RedisSentinelResource.PrimaryEndpointName, RedisSentinelResource.DefaultPort);
        }
    }

    private static JsonObject Postgres(PostgresServerResource postgres)
    {
        var env = new List<KeyValuePair<string, object>>
        {
            new("POSTGRES_HOST_AUTH_METHOD", "scram-sha-256"),
            new("POSTGRES_INITDB_ARGS", "--auth-host=scram-sha-256 --auth-local=scram-sha-256"),
            new("POSTGRES_USER", postgres.UserName),
            new("POSTGRES_PASSWORD", postgres.PasswordParameter),
        };
        if (postgres.Databases.Values.FirstOrDefault() is { } first)
        {
            env.Add(new("POSTGRES_DB", first));
        }

        var extra = PublishContext.ExtraDatabasesScript(postgres) is not null;
        var container = Container(PublishContext.Image(postgres), extra ? "/bin/sh" : null, extra ? ["-c", PublishContext.PostgresEntrypointScript(postgres)] : [],
            env, PostgresServerResource.PrimaryEndpointName, PostgresServerResource.DefaultPort);
        container.Insert(1, "connectionString", Render(postgres.ConnectionStringExpression));
        if (PublishContext.DataVolume(postgres) is { } volume)
        {
            container["volumes"] = new JsonArray(Volume(volume.Name, volume.TargetPath));
        }

        return container;
    }

    private static JsonObject Container(string image, string? entrypoint, IReadOnlyList<string> args, List<KeyValuePair<string, object>> env, string endpoint, int targetPort)
    {
        var container = new JsonObject { ["type"] = "container.v0", ["image"] = image };
        if (entrypoint is not null)
        {
            container["entrypoint"] = entrypoint;
        }

        if (args.Count > 0)
        {
            container["args"] = new JsonArray([.. args.Select(a => (JsonNode)a)]);
        }

        container["env"] = Env(env);
        container["bindings"] = new JsonObject
        {
            [endpoint] = new JsonObject { ["scheme"] = "tcp", ["protocol"] = "tcp", ["transport"] = "tcp", ["targetPort"] = targetPort },
        };
        return container;
    }

    private static JsonObject Volume(string name, string target) => new() { ["name"] = name, ["target"] = target, ["readOnly"] = false };

    private static JsonObject Env(IEnumerable<KeyValuePair<string, object>> env)
    {
        var json = new JsonObject();
        foreach (var (name, value) in env)
        {
            json[name] = Render(value);
        }

        return json;
    }

    private static JsonObject Project(PublishContext context, ProjectResource project, string manifestDirectory)
    {
        var json = new JsonObject
        {
            ["type"] = "project.v0",
            ["path"] = Path.GetRelativePath(manifestDirectory, project.Metadata.ProjectPath).Replace('\\', '/'),
        };
        var args = PublishContext.Args(project).Select(Render).ToList();
        if (args.Count > 0)
        {
            json["args"] = new JsonArray([.. args.Select(a => (JsonNode)a)]);
        }

        json["env"] = Env(context.Environment(project));
        var bindings = new JsonObject();
        foreach (var endpoint in PublishContext.Endpoints(project))
        {
            var binding = new JsonObject { ["scheme"] = endpoint.Scheme, ["protocol"] = "tcp", ["transport"] = endpoint.Transport, ["targetPort"] = context.TargetPort(endpoint) };
            if (endpoint.IsExternal)
            {
                binding["external"] = true;
            }

            bindings[endpoint.Name] = binding;
        }

        if (bindings.Count > 0)
        {
            json["bindings"] = bindings;
        }

        return json;
    }
}
