var builder = DistributedApplication.CreateBuilder(args);
builder.AddDashboard();
builder.AddPublishers();

var redis = builder.AddRedis("redis").WithSentinel(replicas: 1, sentinels: 3);
var postgres = builder.AddPostgres("postgres").WithDataVolume();
var syncDb = postgres.AddDatabase("syncdb");

builder.Build().Run();
