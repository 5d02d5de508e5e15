using System.Security.Cryptography;
using System.Text;
using Gateway.Registry;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.Sweeper.Admin;

/// <summary>
/// The operator's actions, called by the AppHost's dashboard commands with <c>Authorization: Bearer
/// {Sweeper:AdminKey}</c>: POST /admin/sweep runs a pass now, GET /admin/registry reads every registry.
/// Without an admin key they are not mapped at all.
/// </summary>
public static class AdminEndpoints
{
    private static readonly TimeSpan SweepTimeout = TimeSpan.FromSeconds(30);

    public static WebApplication MapAdminEndpoints(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<SweeperOptions>>().Value.AdminKey is not { Length: > 0 } key) return app;
        var admin = app.MapGroup("/admin").AddEndpointFilter(new AdminKeyFilter(key));
        admin.MapPost("/sweep", SweepAsync);
        admin.MapGet("/registry", async (RunRegistry registry) => TypedResults.Ok(RegistryResponse.From(await registry.SnapshotAsync())));
        return app;
    }

    private static async Task<Results<Ok<SweepNowResponse>, ProblemHttpResult>> SweepAsync(SweepRequests requests, CancellationToken cancellationToken)
    {
        try
        {
            var report = await requests.RequestAsync().WaitAsync(SweepTimeout, cancellationToken);
            return TypedResults.Ok(SweepNowResponse.From(report));
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return TypedResults.Problem($"The sweep pass failed: {ex.Message}", statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    private sealed class AdminKeyFilter(string key) : IEndpointFilter
    {
        private readonly byte[] expected = SHA256.HashData(Encoding.UTF8.GetBytes("Bearer " + key));

        public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
        {
            var given = SHA256.HashData(Encoding.UTF8.GetBytes(context.HttpContext.Request.Headers.Authorization.ToString()));
            return CryptographicOperations.FixedTimeEquals(given, expected)
                ? next(context)
                : ValueTask.FromResult<object?>(TypedResults.Problem("Send the sweeper's admin key: 'Authorization: Bearer <Sweeper:AdminKey>'.",
                    statusCode: StatusCodes.Status401Unauthorized));
        }
    }
}

/// <summary>What a pass run on request did.</summary>
public sealed record SweepNowResponse(long Evicted, IReadOnlyList<SweepNowEviction> Evictions, IReadOnlyList<int> ShardsHeld,
    IReadOnlyList<int> ShardsWithMoreDue, double DurationMs, double LagSeconds)
{
    public static SweepNowResponse From(PassReport report) => new(report.Evicted,
        report.Evictions.OrderBy(e => e.Key).Select(e => new SweepNowEviction(e.Key.Registry, e.Key.Reason, e.Value)).ToList(),
        report.ShardsHeld, report.Backlog, report.Duration.TotalMilliseconds, report.Lag.TotalSeconds);
}

public sealed record SweepNowEviction(string Registry, string Reason, long Count);
