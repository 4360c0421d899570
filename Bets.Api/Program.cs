using Bets.Api;
using Bets.Api.Auth;
using Bets.Api.Bets;
using Bets.Api.Grid;
using Bets.Api.Prices;
using Bets.Api.Wallets;
using Platform.Redis.Failover;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.UseRequestBodyLimits();
app.UseRedisOutageGate();
app.UseAuthentication();
app.UseAuthorization();
app.UseRateLimiter();

app.MapDefaultEndpoints();
app.MapOpenApi();
app.MapAuthApi();
app.MapGridApi();
app.MapBetsApi();
app.MapWalletsApi();
app.MapPricesApi();
app.MapPriceHistoryApi();

app.Run();

public partial class Program;
