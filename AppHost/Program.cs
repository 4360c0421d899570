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

builder.Build().Run();
