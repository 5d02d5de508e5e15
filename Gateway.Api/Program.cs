var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddRedisClient("redis");
builder.Services.AddRunRegistry(builder.Configuration);

var app = builder.Build();

app.MapDefaultEndpoints();

app.Run();

namespace Gateway.Api
{
    /// <summary>Entry-point marker for WebApplicationFactory.</summary>
    public sealed class ApiEntryPoint;
}
