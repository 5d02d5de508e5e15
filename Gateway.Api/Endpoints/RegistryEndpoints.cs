using Gateway.Api.Contracts;
using Gateway.Registry;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Gateway.Api.Endpoints;

/// <summary>/v1/registry: every registry's size, evictions by reason and oldest overdue deadline.</summary>
public static class RegistryEndpoints
{
    public static IEndpointRouteBuilder MapRegistryEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/registry", GetAsync).WithTags("Registry").RequireAuthorization()
            .WithSummary("Size, evictions by reason and oldest overdue deadline of every registry (all tenants).")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    private static async Task<Ok<RegistryResponse>> GetAsync(RunRegistry registry) =>
        TypedResults.Ok(RegistryResponse.From(await registry.SnapshotAsync()));
}
