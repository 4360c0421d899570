using Platform.Redis.Failover;
using Sync.Api;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.UseForwardedHeaders();
app.UseRequestBodyLimits();
app.UseRedisOutageGate();
app.UseAuthentication();
app.UseAuthorization();
app.UseRateLimiter();

app.MapDefaultEndpoints();
app.MapSyncApi();

await app.RunAsync();
