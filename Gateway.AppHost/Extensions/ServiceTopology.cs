namespace Gateway.AppHost.Extensions;

public static class ServiceTopology
{
    /// <summary>The configuration sections both services must agree on, passed from the AppHost's own.</summary>
    private static readonly string[] SharedSections = ["Registry", "Sweeper"];

    /// <summary>
    /// Gives the service every <c>Registry:*</c> and <c>Sweeper:*</c> setting of the AppHost (its appsettings,
    /// command line or <c>Registry__*</c> environment variables), so retention is configured once for both.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithRetentionSettings(this IResourceBuilder<ProjectResource> builder)
    {
        var configuration = builder.ApplicationBuilder.Configuration;
        return builder.WithEnvironment(context =>
        {
            foreach (var section in SharedSections)
            {
                foreach (var (key, value) in configuration.GetSection(section).AsEnumerable())
                {
                    if (value is not null) context.EnvironmentVariables[key.Replace(":", "__")] = value;
                }
            }
        });
    }

    /// <summary>The browsable API reference (Scalar) and the OpenAPI document, as links on the dashboard.</summary>
    public static IResourceBuilder<ProjectResource> WithApiReferenceUrls(this IResourceBuilder<ProjectResource> builder) =>
        builder.WithUrls(context =>
        {
            if (context.Urls.FirstOrDefault(u => u.Endpoint?.EndpointName == "http") is not { } http) return;
            context.Urls.Add(new ResourceUrlAnnotation { Url = $"{http.Url.TrimEnd('/')}/scalar", DisplayText = "API reference (Scalar)", Endpoint = http.Endpoint });
            context.Urls.Add(new ResourceUrlAnnotation { Url = $"{http.Url.TrimEnd('/')}/openapi/v1.json", DisplayText = "OpenAPI document", Endpoint = http.Endpoint });
        });
}
