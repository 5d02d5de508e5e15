using Gateway.Api.Endpoints;
using Gateway.Api.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddRedisClient("redis");
builder.AddApplicationServices();

var app = builder.Build();
app.UseApplicationMiddleware();
app.MapDefaultEndpoints();
app.MapApiReference();
app.MapRunEndpoints();
app.MapSessionEndpoints();
app.MapRegistryEndpoints();
app.Run();

namespace Gateway.Api
{
    /// <summary>Entry-point marker for WebApplicationFactory.</summary>
    public sealed class ApiEntryPoint;
}
