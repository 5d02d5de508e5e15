using System.Net.Http.Headers;

namespace Gateway.AppHost.Extensions;

public static class SweeperCommands
{
    public const string SweepNow = "sweep-now", RegistrySnapshot = "registry-snapshot";

    /// <summary>
    /// The operator's actions on the dashboard: <c>sweep-now</c> runs a sweep pass at once and shows what it
    /// evicted; <c>registry-snapshot</c> shows every registry's size, evictions and oldest overdue deadline.
    /// Both call the sweeper's /admin endpoints with the admin key, which only the AppHost and the sweeper know.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithSweeperCommands(this IResourceBuilder<ProjectResource> builder,
        IResourceBuilder<ParameterResource> adminKey)
    {
        return builder
            .WithEnvironment("Sweeper__AdminKey", adminKey)
            .WithHttpCommand("/admin/sweep", "Sweep now", commandName: SweepNow, commandOptions: new HttpCommandOptions
            {
                Method = HttpMethod.Post,
                Description = "Run one sweep pass now on the shards this sweeper holds, and show what it evicted.",
                IconName = "ArrowSync",
                IsHighlighted = true,
                PrepareRequest = context => AuthorizeAsync(context, adminKey),
                ResultMode = HttpCommandResultMode.Json,
            })
            .WithHttpCommand("/admin/registry", "Registry snapshot", commandName: RegistrySnapshot, commandOptions: new HttpCommandOptions
            {
                Method = HttpMethod.Get,
                Description = "Every registry's entries, evictions by reason and oldest overdue deadline, read from Redis now.",
                IconName = "Table",
                PrepareRequest = context => AuthorizeAsync(context, adminKey),
                ResultMode = HttpCommandResultMode.Json,
            });
    }

    private static async Task AuthorizeAsync(HttpCommandRequestContext context, IResourceBuilder<ParameterResource> adminKey) =>
        context.Request.Headers.Authorization =
            new AuthenticationHeaderValue("Bearer", await adminKey.Resource.GetValueAsync(context.CancellationToken));
}
