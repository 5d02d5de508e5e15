using Gateway.Api.Operations;
using Gateway.Registry;
using Microsoft.Extensions.Options;

namespace Gateway.Api.WebSockets;

/// <summary>What every connection uses, resolved once per process rather than per connection.</summary>
public sealed class WsServices(RunOperations runs, SessionOperations sessions, RunRegistry registry, RunEndSignals ends,
    IOptions<GatewayApiOptions> options, WsMetrics metrics, ILogger<WsConnection> logger)
{
    public RunOperations Runs => runs;
    public SessionOperations Sessions => sessions;
    public RunRegistry Registry => registry;
    public RunEndSignals Ends => ends;
    public GatewayApiOptions Options => options.Value;
    public WebSocketLimits Limits => options.Value.WebSocket;
    public WsMetrics Metrics => metrics;
    public ILogger Logger => logger;
}
