var builder = WebApplication.CreateBuilder(args);
builder.Services.AddHealthChecks();
var app = builder.Build();

app.MapHealthChecks("/health");
app.MapGet("/", () => Environment.GetEnvironmentVariable("OTEL_RESOURCE_ATTRIBUTES") ?? "unknown");
app.MapGet("/env/{name}", (string name) => Environment.GetEnvironmentVariable(name) is { } value ? Results.Text(value) : Results.NotFound());

app.Run();
