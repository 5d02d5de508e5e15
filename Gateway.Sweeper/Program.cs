var builder = WebApplication.CreateBuilder(args);

// A web host only for /health and /alive: the sweeper makes no outgoing HTTP calls.
builder.AddBasicServiceDefaults();
builder.AddRedisClient("redis");
builder.Services.AddRunRegistry(builder.Configuration);
builder.AddSweeper();

var app = builder.Build();

app.MapDefaultEndpoints();

app.Run();

namespace Gateway.Sweeper
{
    /// <summary>Entry-point marker for WebApplicationFactory.</summary>
    public sealed class SweeperEntryPoint;
}
