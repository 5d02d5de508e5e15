using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Gateway.Api.Contracts;

namespace Gateway.Api.WebSockets;

/// <summary>The WebSocket's payload types, serialized without reflection (source generation), with the HTTP API's
/// JSON rules: web defaults (camelCase), enums as camelCase strings, no integer enums.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ConnectParams))]
[JsonSerializable(typeof(SpawnRunRequest))]
[JsonSerializable(typeof(RunIdParams))]
[JsonSerializable(typeof(RunEventsParams))]
[JsonSerializable(typeof(RecipientsParams))]
[JsonSerializable(typeof(RunsSubscribeParams))]
[JsonSerializable(typeof(SessionParams))]
[JsonSerializable(typeof(SessionSubscribeParams))]
[JsonSerializable(typeof(RunResponse))]
[JsonSerializable(typeof(SpawnResponse))]
[JsonSerializable(typeof(RecipientsResponse))]
[JsonSerializable(typeof(SessionAbortResponse))]
[JsonSerializable(typeof(RunsPayload))]
[JsonSerializable(typeof(SessionEventResponse))]
public sealed partial class WsJsonContext : JsonSerializerContext;

public static class WsJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        TypeInfoResolver = WsJsonContext.Default,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false) },
    };

    public static readonly JsonTypeInfo<ConnectParams> Connect = Info<ConnectParams>();
    public static readonly JsonTypeInfo<SpawnRunRequest> Spawn = Info<SpawnRunRequest>();
    public static readonly JsonTypeInfo<RunIdParams> RunId = Info<RunIdParams>();
    public static readonly JsonTypeInfo<RunEventsParams> Events = Info<RunEventsParams>();
    public static readonly JsonTypeInfo<RecipientsParams> Recipients = Info<RecipientsParams>();
    public static readonly JsonTypeInfo<RunsSubscribeParams> RunsSubscribe = Info<RunsSubscribeParams>();
    public static readonly JsonTypeInfo<SessionParams> Session = Info<SessionParams>();
    public static readonly JsonTypeInfo<SessionSubscribeParams> SessionSubscribe = Info<SessionSubscribeParams>();
    public static readonly JsonTypeInfo<RunResponse> Run = Info<RunResponse>();
    public static readonly JsonTypeInfo<SpawnResponse> Spawned = Info<SpawnResponse>();
    public static readonly JsonTypeInfo<RecipientsResponse> RecipientsAnswer = Info<RecipientsResponse>();
    public static readonly JsonTypeInfo<SessionAbortResponse> SessionAbort = Info<SessionAbortResponse>();
    public static readonly JsonTypeInfo<RunsPayload> Runs = Info<RunsPayload>();
    public static readonly JsonTypeInfo<SessionEventResponse> SessionEvent = Info<SessionEventResponse>();

    private static JsonTypeInfo<T> Info<T>() => (JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T));
}
