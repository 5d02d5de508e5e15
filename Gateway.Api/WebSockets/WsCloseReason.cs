namespace Gateway.Api.WebSockets;

/// <summary>Why a connection ended: the tag of gateway.ws.disconnects and the close log line.</summary>
public static class WsCloseReason
{
    public const string ClientClosed = "client_closed", Unauthorized = "unauthorized", NotConnected = "not_connected",
        UnsupportedProtocol = "unsupported_protocol", PayloadTooLarge = "payload_too_large", SlowReader = "slow_reader",
        ServerStopping = "server_stopping", Aborted = "aborted";
}
