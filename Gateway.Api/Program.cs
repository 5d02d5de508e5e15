using Gateway.Api.Endpoints;
using Gateway.Api.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
// Fail fast while Redis is down: clients get 503 + Retry-After at once instead of after a queued timeout.
builder.AddGatewayRedisClient(failFast: true);
builder.AddApplicationServices();

var app = builder.Build();
app.UseApplicationMiddleware();
app.MapDefaultEndpoints();
app.MapApiReference();
app.MapRunEndpoints();
app.MapSessionEndpoints();
app.MapRegistryEndpoints();
app.MapWebSocketEndpoints();
app.Run();

namespace Gateway.Api
{
    /// <summary>Entry-point marker for WebApplicationFactory.</summary>
    public sealed class ApiEntryPoint;
}
