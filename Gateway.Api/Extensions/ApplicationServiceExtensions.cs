using System.Text.Json;
using System.Text.Json.Serialization;
using Gateway.Api.Auth;
using Gateway.Api.Errors;
using Gateway.Api.Operations;
using Gateway.Api.WebSockets;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Scalar.AspNetCore;

namespace Gateway.Api.Extensions;

public static class ApplicationServiceExtensions
{
    /// <summary>Options, registry, API-key authentication, errors as ProblemDetails, JSON and OpenAPI.</summary>
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<GatewayApiOptions>()
            .Bind(builder.Configuration.GetSection(GatewayApiOptions.SectionName))
            .Validate(o => o.ApiKeys.All(k => !string.IsNullOrWhiteSpace(k.Key) && !string.IsNullOrWhiteSpace(k.Tenant)),
                "Every Gateway:ApiKeys entry needs a Key and a Tenant.")
            .Validate(o => o.MaxBodyBytes > 0 && o.SsePollInterval > TimeSpan.Zero && o.WaitFallbackPoll > TimeSpan.Zero && o.MaxWaitTimeout >= o.DefaultWaitTimeout,
                "Gateway:MaxBodyBytes, Gateway:SsePollInterval and Gateway:WaitFallbackPoll must be positive, and MaxWaitTimeout at least DefaultWaitTimeout.")
            .Validate(o => o.WebSocket.IsValid,
                "Gateway:WebSocket: MaxPayloadBytes at least 1024, MaxBufferedBytes at least MaxPayloadBytes, MaxInFlight, " +
                "MaxRunSubscriptions, MaxSessionSubscriptions and CloseTimeout positive.")
            .ValidateOnStart();
        services.AddRunRegistry(builder.Configuration);
        services.AddSingleton<RunOperations>();
        services.AddSingleton<SessionOperations>();
        services.AddSingleton<WsMetrics>();
        services.AddSingleton<WsServices>();

        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorization();

        services.AddProblemDetails(o => o.CustomizeProblemDetails = context =>
        {
            // Answers the framework writes itself, without a message of ours.
            context.ProblemDetails.Detail ??= context.ProblemDetails.Status switch
            {
                StatusCodes.Status415UnsupportedMediaType => "Send the request body as JSON, with 'Content-Type: application/json'.",
                StatusCodes.Status413PayloadTooLarge => $"The request body is over the limit of " +
                    $"{context.HttpContext.RequestServices.GetRequiredService<IOptions<GatewayApiOptions>>().Value.MaxBodyBytes} bytes.",
                _ => null,
            };
        });
        services.AddExceptionHandler<GatewayExceptionHandler>();
        // Unreadable bodies and parameters throw, so GatewayExceptionHandler turns them into 400 ProblemDetails
        // that say what was wrong (the default is an empty 400).
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.Configure<JsonOptions>(o => o.SerializerOptions.Converters.Add(
            new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false)));

        services.AddOpenApi(o => o.AddDocumentTransformer<BearerSecuritySchemeTransformer>());
        return builder;
    }

    public static WebApplication UseApplicationMiddleware(this WebApplication app)
    {
        app.UseExceptionHandler();
        // Framework answers with no body (415, 405, unknown route) become ProblemDetails too.
        app.UseStatusCodePages();
        app.UseMiddleware<RequestBodyLimitMiddleware>();
        app.UseWebSockets();
        app.UseAuthentication();
        app.UseAuthorization();
        return app;
    }

    /// <summary>The OpenAPI document at /openapi/v1.json and its browsable reference at /scalar, both open.</summary>
    public static WebApplication MapApiReference(this WebApplication app)
    {
        app.MapOpenApi();
        app.MapScalarApiReference(o => o.WithTitle("Gateway API"));
        return app;
    }
}
