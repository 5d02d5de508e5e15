using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Gateway.Api.Contracts;
using Gateway.Api.Errors;
using Gateway.Api.Operations;

namespace Gateway.Api.WebSockets;

/// <summary>
/// The methods of a connected connection: each reads its params (synchronously, from the frame's bytes), starts its
/// operation from Operations/ (the HTTP API's own) and turns the outcome into an answer frame.
/// </summary>
public sealed class WsDispatcher(string tenant, WsServices services, WsSendQueue sends, CancellationToken lifetime)
{
    public const int Protocol = 1;

    private readonly WsSubscriptions subscriptions = new(tenant, services, sends, lifetime);

    public string Tenant => tenant;

    public Task<WsFrame> Start(WsRequestFrame frame, ReadOnlySpan<byte> json)
    {
        var id = frame.Id;
        var p = frame.Params(json);
        try
        {
            switch (frame.Method)
            {
                case WsMethod.RunsSpawn:
                    return Answer(id, services.Runs.SpawnAsync(tenant, Read(p, WsJson.Spawn)), WsJson.Spawned);
                case WsMethod.RunsGet:
                    return Read(p, WsJson.RunId).RunId is { } getId
                        ? Answer(id, services.Runs.GetAsync(tenant, getId), WsJson.Run)
                        : Refuse(id, RunIdRequired);
                case WsMethod.RunsEvents:
                    var events = Read(p, WsJson.Events);
                    return events.RunId is { } eventsId
                        ? AnswerEvents(id, services.Runs.AppendEventsAsync(tenant, eventsId, events.Events))
                        : Refuse(id, RunIdRequired);
                case WsMethod.RunsAbort:
                    return Read(p, WsJson.RunId).RunId is { } abortId
                        ? Answer(id, services.Runs.AbortAsync(tenant, abortId), WsJson.Run)
                        : Refuse(id, RunIdRequired);
                case WsMethod.RunsRecipients:
                    var recipients = Read(p, WsJson.Recipients);
                    return recipients.RunId is { } recipientsId
                        ? Answer(id, services.Runs.UpdateRecipientsAsync(tenant, recipientsId, new RecipientsRequest(recipients.Add, recipients.Remove)), WsJson.RecipientsAnswer)
                        : Refuse(id, RunIdRequired);
                case WsMethod.RunsSubscribe:
                    return subscriptions.SubscribeRuns(id, Read(p, WsJson.RunsSubscribe).RunIds);
                case WsMethod.SessionsRuns:
                    var list = Read(p, WsJson.Session);
                    return Answer(id, ListAsync(list.SessionKey, list.Limit), WsJson.Runs);
                case WsMethod.SessionsAbort:
                    return Answer(id, services.Sessions.AbortAsync(tenant, Read(p, WsJson.Session).SessionKey!), WsJson.SessionAbort);
                case WsMethod.SessionsSubscribe:
                    var follow = Read(p, WsJson.SessionSubscribe);
                    return subscriptions.SubscribeSessionAsync(id, follow.SessionKey, follow.After);
                case WsMethod.SessionsUnsubscribe:
                    return subscriptions.UnsubscribeSession(id, Read(p, WsJson.Session).SessionKey);
                case WsMethod.Connect:
                    return Refuse(id, new WsError(WsError.InvalidRequest, "This connection is already connected."));
                default:
                    return Refuse(id, new WsError(WsError.UnknownMethod,
                        $"Unknown method '{frame.MethodName}'; the methods are listed in docs/websocket.md."));
            }
        }
        catch (JsonException ex)
        {
            return Refuse(id, new WsError(WsError.InvalidRequest, MalformedJson.Describe(ex)));
        }
    }

    private static readonly WsError RunIdRequired =
        new(WsError.InvalidRequest, "runId: is required.", new Dictionary<string, string[]> { ["runId"] = ["is required."] });

    private static T Read<T>(ReadOnlySpan<byte> json, JsonTypeInfo<T> info) where T : class =>
        JsonSerializer.Deserialize(json, info) ?? throw new JsonException("params must be an object.");

    private async Task<Outcome<RunsPayload>> ListAsync(string? sessionKey, int? limit)
    {
        var outcome = await services.Sessions.ListRunsAsync(tenant, sessionKey!, limit);
        return outcome.Error is { } error ? error : new RunsPayload(outcome.Value!);
    }

    public WsFrame Error(string id, OperationError error) => WsFrameWriter.Error(id, WsError.From(error, services.Options.RetryAfterSeconds));

    public static Task<WsFrame> Refuse(string id, WsError error) => Task.FromResult(WsFrameWriter.Error(id, error));

    private Task<WsFrame> Answer<T>(string id, Task<Outcome<T>> operation, JsonTypeInfo<T> info) =>
        operation.IsCompletedSuccessfully ? Task.FromResult(Frame(id, operation.Result, info)) : AwaitAnswer(id, operation, info);

    private async Task<WsFrame> AwaitAnswer<T>(string id, Task<Outcome<T>> operation, JsonTypeInfo<T> info) => Frame(id, await operation, info);

    private WsFrame Frame<T>(string id, Outcome<T> outcome, JsonTypeInfo<T> info) =>
        outcome.Error is { } error ? Error(id, error) : WsFrameWriter.Ok(id, outcome.Value!, info);

    private async Task<WsFrame> AnswerEvents(string id, Task<Outcome<IReadOnlyList<Outcome<EventAcceptedResponse>>>> operation)
    {
        var outcome = await operation;
        if (outcome.Error is { } error) return Error(id, error);
        return WsFrameWriter.Ok(id, (outcome.Value!, services.Options.RetryAfterSeconds), static (json, state) =>
        {
            json.WriteStartObject();
            json.WriteStartArray("results"u8);
            foreach (var result in state.Item1)
            {
                json.WriteStartObject();
                json.WriteBoolean("ok"u8, result.Error is null);
                if (result.Error is { } refused)
                {
                    json.WritePropertyName("error"u8);
                    WsFrameWriter.WriteError(json, WsError.From(refused, state.Item2));
                }
                else
                {
                    json.WriteNumber("seq"u8, result.Value!.Seq);
                    json.WriteString("entryId"u8, result.Value.EntryId);
                }
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        });
    }

    /// <summary>The payload of hello-ok: the protocol, the tenant the token stands for, and this connection's limits.</summary>
    public static void WriteHello(Utf8JsonWriter json, (string Tenant, WebSocketLimits Limits) state)
    {
        json.WriteStartObject();
        json.WriteString("type"u8, "hello-ok"u8);
        json.WriteNumber("protocol"u8, Protocol);
        json.WriteString("tenant"u8, state.Tenant);
        json.WriteStartObject("policy"u8);
        json.WriteNumber("maxPayload"u8, state.Limits.MaxPayloadBytes);
        json.WriteNumber("maxBufferedBytes"u8, state.Limits.MaxBufferedBytes);
        json.WriteNumber("maxInFlight"u8, state.Limits.MaxInFlight);
        json.WriteNumber("maxRunSubscriptions"u8, state.Limits.MaxRunSubscriptions);
        json.WriteNumber("maxSessionSubscriptions"u8, state.Limits.MaxSessionSubscriptions);
        json.WriteEndObject();
        json.WriteEndObject();
    }
}
