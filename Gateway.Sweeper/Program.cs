using Gateway.Sweeper.Admin;

var builder = WebApplication.CreateBuilder(args);

// A web host for /health, /alive and the operator's /admin endpoints: the sweeper makes no outgoing HTTP calls.
builder.AddBasicServiceDefaults();
builder.AddGatewayRedisClient();
builder.Services.AddRunRegistry(builder.Configuration);
builder.AddSweeper();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapAdminEndpoints();

app.Run();

namespace Gateway.Sweeper
{
    /// <summary>Entry-point marker for WebApplicationFactory.</summary>
    public sealed class SweeperEntryPoint;
}
