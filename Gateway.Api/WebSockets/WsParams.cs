using System.Text.Json.Serialization;
using Gateway.Api.Contracts;

namespace Gateway.Api.WebSockets;

// The params of each method (docs/websocket.md): the HTTP bodies, with the path's ids as fields. Every field is
// nullable so that a missing one is named in invalid_request; unknown properties are refused, as over HTTP.

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ConnectParams(int? MinProtocol = null, int? MaxProtocol = null, ConnectAuth? Auth = null, ConnectClient? Client = null);

public sealed record ConnectAuth(string? Token);

public sealed record ConnectClient(string? Name, string? Version);

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record RunIdParams(string? RunId);

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record RunEventsParams(string? RunId, List<RunEventRequest?>? Events);

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record RecipientsParams(string? RunId, List<string>? Add = null, List<string>? Remove = null);

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record RunsSubscribeParams(List<string>? RunIds);

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record SessionParams(string? SessionKey, int? Limit = null);

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record SessionSubscribeParams(string? SessionKey, string? After = null);

public sealed record RunsPayload(List<RunResponse> Runs);
