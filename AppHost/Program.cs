// The services serve plain HTTP behind the front end's proxy, so none takes Aspire's HTTPS developer certificate
// (WithoutHttpsCertificate, still experimental); with it the dashboard greets every run with "No trusted development
// certificate", and a machine without one is the usual case here.
#pragma warning disable ASPIRECERTIFICATES001
var builder = DistributedApplication.CreateBuilder(args);
builder.AddStartupProbes();
builder.AddDeferredTiering();

var redis = builder.AddRedisSentinel("redis", replicas: 1, sentinels: 3).WithDataVolume();
var postgres = builder.AddPostgres("postgres").WithDataVolume().RunAsLocalProcess();
var syncDb = postgres.AddDatabase("syncdb");

var prices = builder.AddProject<Projects.Prices_Ingest>("prices-ingest")
    .WithoutHttpsCertificate()
    .WithReference(redis).WaitFor(redis)
    .WithHttpHealthCheck("/health")
    .WithRestartOnCrash();

// Bets keep money in SQLite, in a file of their own (a single-replica StatefulSet with a volume when published).
// It starts beside prices-ingest, not after it: until ticks flow its feed is stale, which it reports (Degraded) and
// which refuses bets on its own.
var bets = builder.AddProject<Projects.Bets_Api>("bets-api")
    .WithoutHttpsCertificate()
    .WithReference(redis).WaitFor(redis)
    .WithSqliteDatabase("betsdb", "bets.db")
    .WithHttpHealthCheck("/health")
    .WithRestartOnCrash();

// Sync.Api reads connection strings only. Aspire would also inject syncdb's connection properties (SYNCDB_PASSWORD,
// SYNCDB_URI…): another copy of the password, and a URI-encoded one that the manifest can only express as an
// `annotated.string` resource, which azd does not accept.
// It starts beside PostgreSQL rather than after syncdb is healthy: its schema migration retries until the database
// exists, and its health check reports it Unhealthy until then. That takes PostgreSQL's start off the critical path.
var sync = builder.AddProject<Projects.Sync_Api>("sync-api")
    .WithoutHttpsCertificate()
    .WithReferenceEnvironment(ReferenceEnvironmentInjectionFlags.ConnectionString)
    .WithReference(redis).WithReference(syncDb)
    .WaitFor(redis)
    .WithReplicas(2)
    .WithHttpHealthCheck("/health")
    .WithRestartOnCrash();

// The front end needs neither API to start (its proxy answers 502 until they are up), so it starts beside them.
var web = builder.AddProject<Projects.Web_Frontend>("web")
    .WithoutHttpsCertificate()
    .WithReference(sync).WithReference(bets)
    .WithExternalHttpEndpoints()
    .WithHttpHealthCheck("/health")
    .WithRestartOnCrash();

// Sign-in messages name the site the browser is on (its host:port and its URL): the front end, whose proxy forwards
// to Bets.Api.
bets.WithEnvironment("Auth__Domain", web.GetEndpoint("http").Property(EndpointProperty.HostAndPort))
    .WithEnvironment("Auth__Uri", web.GetEndpoint("http").Property(EndpointProperty.Url));

builder.AddHelmAndComposePublishing("platform");

builder.Build().Run();
