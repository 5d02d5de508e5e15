using Gateway.Api.WebSockets;

namespace Gateway.Api.Endpoints;

/// <summary>/v1/ws: the registry over one WebSocket per client, JSON frames in OpenClaw's gateway framing
/// (docs/websocket.md). Authentication is the connect frame's token, so the upgrade itself is open.</summary>
public static class WebSocketEndpoints
{
    public static IEndpointRouteBuilder MapWebSocketEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/ws", AcceptAsync).WithTags("WebSocket")
            .WithSummary("Upgrade to the WebSocket protocol of docs/websocket.md (connect with an API key, then req/res/event frames).")
            .WithDescription("OpenAPI cannot describe the frames; docs/websocket.md (and docs/websocket.asyncapi.yaml) does. " +
                "A request that is not a WebSocket upgrade answers 400.")
            .Produces(StatusCodes.Status101SwitchingProtocols).ProducesProblem(StatusCodes.Status400BadRequest);
        // WebSockets over HTTP/2 (RFC 8441) arrive as CONNECT.
        app.MapMethods("/v1/ws", [HttpMethods.Connect], AcceptAsync).ExcludeFromDescription();
        return app;
    }

    private static async Task<IResult> AcceptAsync(HttpContext context, WsServices services, IHostApplicationLifetime host)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            return TypedResults.Problem("Connect with a WebSocket upgrade; the frames are described in docs/websocket.md.",
                statusCode: StatusCodes.Status400BadRequest, title: "WebSocket upgrade required");
        }
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        await new WsConnection(socket, services, context.TraceIdentifier).RunAsync(host.ApplicationStopping);
        return TypedResults.Empty;
    }
}
