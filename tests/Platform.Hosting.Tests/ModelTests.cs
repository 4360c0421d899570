using Platform.Hosting.ApplicationModel;
using Platform.Hosting.Orchestration;
using Platform.Hosting.Testing;

namespace Platform.Hosting.Tests;

public class ModelTests
{
    [Fact]
    public void RedisWithSentinelHasReplicasSentinelsAndTheSentinelConnectionString()
    {
        var builder = DistributedApplicationTestingBuilder.Create();
        var redis = builder.AddRedis("cache").WithSentinel(replicas: 2, sentinels: 3);

        Assert.Equal(3, redis.Resource.Instances);
        var sentinel = Assert.IsType<RedisSentinelResource>(builder.Resources["cache-sentinel"]);
        Assert.Equal(3, sentinel.Instances);
        Assert.Equal(2, sentinel.Quorum);
        Assert.Equal(
            "{cache-sentinel.bindings.tcp.host}:{cache-sentinel.bindings.tcp.port},password={cache-password.value},serviceName=mymaster",
            redis.Resource.ConnectionStringExpression.ValueExpression);
        var password = Assert.IsType<ParameterResource>(builder.Resources["cache-password"]);
        Assert.True(password.Secret);
        Assert.NotNull(password.Default);
    }

    [Fact]
    public void PlainRedisAndPostgresPublishAspiresConnectionStringExpressions()
    {
        var builder = DistributedApplicationTestingBuilder.Create();
        var redis = builder.AddRedis("redis");
        var postgres = builder.AddPostgres("postgres").WithDataVolume();
        var db = postgres.AddDatabase("syncdb");

        Assert.Equal("{redis.bindings.tcp.host}:{redis.bindings.tcp.port},password={redis-password.value}", redis.Resource.ConnectionStringExpression.ValueExpression);
        Assert.Equal("Host={postgres.bindings.tcp.host};Port={postgres.bindings.tcp.port};Username=postgres;Password={postgres-password.value}",
            postgres.Resource.ConnectionStringExpression.ValueExpression);
        Assert.Equal("{postgres.connectionString};Database=syncdb", db.Resource.ConnectionStringExpression.ValueExpression);
        Assert.True(db.Resource.ConnectionStringExpression.ContainsSecret);
    }

    [Fact]
    public void EveryInfrastructureResourceKnowsItsImageTargetPortAndVolume()
    {
        var builder = DistributedApplicationTestingBuilder.Create();
        var redis = builder.AddRedis("redis").WithSentinel(1, 3);
        var postgres = builder.AddPostgres("postgres").WithDataVolume();

        Assert.Equal("docker.io/library/redis:7.0", redis.Resource.Annotations.OfType<ContainerImageAnnotation>().Single().FullName);
        Assert.Equal(6379, redis.Resource.Annotations.OfType<EndpointAnnotation>().Single().TargetPort);
        Assert.Equal(26379, builder.Resources["redis-sentinel"].Annotations.OfType<EndpointAnnotation>().Single().TargetPort);
        Assert.Equal("docker.io/library/postgres:15", postgres.Resource.Annotations.OfType<ContainerImageAnnotation>().Single().FullName);
        Assert.Equal("/var/lib/postgresql/data", postgres.Resource.Annotations.OfType<DataVolumeAnnotation>().Single().TargetPath);
    }

    [Fact]
    public void WithReferenceAddsConnectionStringAndServiceDiscoveryVariables()
    {
        var builder = DistributedApplicationTestingBuilder.Create();
        var redis = builder.AddRedis("redis");
        var web = builder.AddProject<Projects.Hosting_TestApp>("web").WithExternalHttpEndpoints();
        var api = builder.AddProject<Projects.Hosting_TestApp>("api").WithReference(redis).WithReference(web).WaitFor(redis).WithEnvironment("Mode", "test");

        var context = new EnvironmentCallbackContext(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Publish), api.Resource);
        foreach (var annotation in api.Resource.Annotations.OfType<EnvironmentCallbackAnnotation>())
        {
            annotation.Callback(context);
        }

        Assert.Equal("{redis.connectionString}", ((IManifestExpressionProvider)context.EnvironmentVariables["ConnectionStrings__redis"]).ValueExpression);
        Assert.Equal("{web.bindings.http.url}", ((IManifestExpressionProvider)context.EnvironmentVariables["services__web__http__0"]).ValueExpression);
        Assert.Equal("test", context.EnvironmentVariables["Mode"]);
        Assert.True(web.Resource.Annotations.OfType<EndpointAnnotation>().Single().IsExternal);
        Assert.Contains(redis.Resource, api.Resource.Annotations.OfType<WaitAnnotation>().Select(w => w.Resource));
    }

    [Fact]
    public void DependencyCycleIsRejectedAtBuildNamingTheResources()
    {
        var builder = DistributedApplicationTestingBuilder.Create();
        var a = builder.AddProject<Projects.Hosting_TestApp>("a");
        var b = builder.AddProject<Projects.Hosting_TestApp>("b").WaitFor(a);
        a.WaitFor(b);

        var ex = Assert.Throws<DistributedApplicationException>(() => builder.Build());
        Assert.Contains("a -> b -> a", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StartOrderPutsDependenciesFirst()
    {
        var builder = DistributedApplicationTestingBuilder.Create();
        var web = builder.AddProject<Projects.Hosting_TestApp>("web");
        var postgres = builder.AddPostgres("postgres");
        var db = postgres.AddDatabase("syncdb");
        var api = builder.AddProject<Projects.Hosting_TestApp>("api").WithReference(db).WaitFor(db);
        web.WithReference(api).WaitFor(api);
        var model = new DistributedApplicationModel([.. builder.Resources]);

        var order = model.StartOrder().Select(r => r.Name).ToList();

        Assert.True(order.IndexOf("postgres-password") < order.IndexOf("postgres"));
        Assert.True(order.IndexOf("postgres") < order.IndexOf("syncdb"));
        Assert.True(order.IndexOf("syncdb") < order.IndexOf("api"));
        Assert.True(order.IndexOf("api") < order.IndexOf("web"));
        Assert.Equal(["api"], model.DependentsOf(db.Resource).Select(r => r.Name));
    }

    [Theory]
    [InlineData("Bad_Name")]
    [InlineData("-web")]
    [InlineData("web-")]
    [InlineData("1web")]
    [InlineData("we--b")]
    public void InvalidResourceNamesAreRejected(string name)
    {
        var builder = DistributedApplicationTestingBuilder.Create();
        Assert.Throws<ArgumentException>(() => builder.AddProject<Projects.Hosting_TestApp>(name));
    }

    [Fact]
    public void DuplicateResourceNameIsRejected()
    {
        var builder = DistributedApplicationTestingBuilder.Create();
        builder.AddRedis("cache");
        var ex = Assert.Throws<DistributedApplicationException>(() => builder.AddPostgres("cache"));
        Assert.Contains("'cache'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownResourceNameFailsAtOnceListingTheKnownOnes()
    {
        var builder = DistributedApplicationTestingBuilder.Create();
        builder.AddRedis("cache");
        var ex = Assert.Throws<KeyNotFoundException>(() => builder.GetResource<RedisResource>("cahce"));
        Assert.Contains("cache", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GeneratedSecretsHaveTheLengthAndEveryCharacterClass()
    {
        var value = new GenerateParameterDefault(MinLength: 22).Generate();
        Assert.Equal(22, value.Length);
        Assert.Contains(value, char.IsAsciiLetterLower);
        Assert.Contains(value, char.IsAsciiLetterUpper);
        Assert.Contains(value, char.IsAsciiDigit);
        Assert.NotEqual(value, new GenerateParameterDefault(MinLength: 22).Generate());
    }

    [Fact]
    public void SecretStoreKeepsAGeneratedValueAcrossRuns()
    {
        var dir = Directory.CreateTempSubdirectory("platform-secrets-").FullName;
        try
        {
            var path = Path.Combine(dir, "secrets.json");
            var first = new SecretStore(path).GetOrAdd("Parameters:redis-password", () => "one");
            var second = new SecretStore(path).GetOrAdd("Parameters:redis-password", () => "two");
            Assert.Equal("one", first);
            Assert.Equal("one", second);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task ReferenceExpressionResolvesValuesAndKeepsLiteralBraces()
    {
        var parameter = new ParameterResource("token", secret: true);
        parameter.SetValue("s3cret");
        var expression = ReferenceExpression.Create($"{{literal}};Password={parameter}");

        Assert.Equal("{literal};Password=s3cret", await expression.GetValueAsync(TestContext.Current.CancellationToken));
        Assert.Equal("{literal};Password={token.value}", expression.ValueExpression);
        Assert.True(expression.ContainsSecret);
    }

    [Fact]
    public void ProjectsTypesAreGeneratedFromTheProjectReferences()
    {
        Assert.EndsWith("Hosting.TestApp.csproj", new Projects.Hosting_TestApp().ProjectPath, StringComparison.Ordinal);
        Assert.True(File.Exists(new Projects.Hosting_CrashingApp().ProjectPath));
        Assert.EndsWith("AppHost.csproj", new Projects.AppHost().ProjectPath, StringComparison.Ordinal);
        Assert.DoesNotContain(typeof(ModelTests).Assembly.GetTypes(), t => t.FullName == "Projects.Platform_Hosting_Testing");
    }

    [Fact]
    public void ProjectBuiltAssemblyIsFoundFromTheProjectPath()
    {
        var dll = ProjectRuntime.FindBuiltAssembly(new Projects.Hosting_TestApp().ProjectPath, "Release");
        Assert.EndsWith(Path.Combine("bin", "Release", "net10.0", "Hosting.TestApp.dll"), dll, StringComparison.Ordinal);

        var ex = Assert.Throws<DistributedApplicationException>(() => ProjectRuntime.FindBuiltAssembly(new Projects.Hosting_TestApp().ProjectPath, "NoSuchConfiguration"));
        Assert.Contains("dotnet build -c NoSuchConfiguration", ex.Message, StringComparison.Ordinal);
    }
}
