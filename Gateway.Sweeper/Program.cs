var builder = WebApplication.CreateBuilder(args);

builder.AddBasicServiceDefaults();
builder.AddRedisClient("redis");
builder.Services.AddRunRegistry(builder.Configuration);

var app = builder.Build();

app.MapDefaultEndpoints();

app.Run();

namespace Gateway.Sweeper
{
    /// <summary>Entry-point marker for WebApplicationFactory.</summary>
    public sealed class SweeperEntryPoint;
}
