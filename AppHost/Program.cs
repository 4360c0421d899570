var builder = DistributedApplication.CreateBuilder(args);
builder.AddDashboard();
builder.AddPublishers();

var redis = builder.AddRedis("redis").WithSentinel(replicas: 1, sentinels: 3);
var postgres = builder.AddPostgres("postgres").WithDataVolume();
var syncDb = postgres.AddDatabase("syncdb");

var prices = builder.AddProject<Projects.Prices_Ingest>("prices-ingest")
    .WithReference(redis).WaitFor(redis)
    .WithHttpHealthCheck("/health");

// Bets keep money in SQLite on a volume of their own (a single-replica StatefulSet when published).
var bets = builder.AddProject<Projects.Bets_Api>("bets-api")
    .WithReference(redis).WaitFor(redis).WaitFor(prices)
    .WithDataVolume()
    .WithHttpHealthCheck("/health");
var betsDb = "Data Source=" + Path.Combine(bets.GetDataVolumePath(), "bets.db");
bets.WithEnvironment("ConnectionStrings__betsdb", betsDb);

var sync = builder.AddProject<Projects.Sync_Api>("sync-api")
    .WithReference(redis).WithReference(syncDb)
    .WaitFor(redis).WaitFor(syncDb)
    .WithReplicas(2)
    .WithHttpHealthCheck("/health");

var web = builder.AddProject<Projects.Web_Frontend>("web")
    .WithReference(sync).WithReference(bets)
    .WaitFor(sync).WaitFor(bets)
    .WithExternalHttpEndpoints()
    .WithHttpHealthCheck("/health");

// Sign-in messages name the site the browser is on: the front end, whose proxy forwards to Bets.Api.
bets.WithEnvironment("Auth__Domain", web.GetEndpoint("http").Property(EndpointProperty.HostAndPort));

builder.Build().Run();
