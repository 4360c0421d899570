using Web.Frontend.Proxy;

var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    // appsettings.json and the built SPA (wwwroot) sit beside the dll, so the host works from any working directory.
    ContentRootPath = AppContext.BaseDirectory,
});

builder.AddServiceDefaults();
builder.AddApiProxy();

var app = builder.Build();

app.MapDefaultEndpoints();
app.UseRequestBodyLimits();
app.MapApiProxy();
app.UseDefaultFiles();
app.UseStaticFiles();
app.MapFallbackToFile("index.html");

app.Run();
