using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Gateway.Api.Operations;

namespace Gateway.Api.WebSockets;

/// <summary>
/// Writes server frames (docs/websocket.md): <c>res</c> answers, refusals and <c>event</c> pushes. One writer and
/// buffer per thread, reused; each frame is copied out into a pooled array of its size.
/// </summary>
public static class WsFrameWriter
{
    [ThreadStatic] private static ArrayBufferWriter<byte>? buffer;
    [ThreadStatic] private static Utf8JsonWriter? writer;

    private static Utf8JsonWriter Start()
    {
        buffer ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        if (writer is null) writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true });
        else writer.Reset(buffer);
        return writer;
    }

    private static WsFrame Finish(Utf8JsonWriter json)
    {
        json.Flush();
        var written = buffer!.WrittenSpan;
        var array = ArrayPool<byte>.Shared.Rent(written.Length);
        written.CopyTo(array);
        // a large frame must not pin its size in this thread's buffer for good
        if (buffer.Capacity > 64 * 1024) buffer = null;
        return new WsFrame(array, written.Length);
    }

    private static void Head(Utf8JsonWriter json, string? id, bool ok)
    {
        json.WriteStartObject();
        json.WriteString("type"u8, "res"u8);
        if (id is null) json.WriteNull("id"u8);
        else json.WriteString("id"u8, id);
        json.WriteBoolean("ok"u8, ok);
    }

    public static WsFrame Ok<T>(string id, T payload, JsonTypeInfo<T> info)
    {
        var json = Start();
        Head(json, id, ok: true);
        json.WritePropertyName("payload"u8);
        JsonSerializer.Serialize(json, payload, info);
        json.WriteEndObject();
        return Finish(json);
    }

    /// <summary>An answer whose payload the caller writes (an object, started and ended by the caller).</summary>
    public static WsFrame Ok<TState>(string id, TState state, Action<Utf8JsonWriter, TState> payload)
    {
        var json = Start();
        Head(json, id, ok: true);
        json.WritePropertyName("payload"u8);
        payload(json, state);
        json.WriteEndObject();
        return Finish(json);
    }

    public static WsFrame Error(string? id, WsError error)
    {
        var json = Start();
        Head(json, id, ok: false);
        json.WritePropertyName("error"u8);
        WriteError(json, error);
        json.WriteEndObject();
        return Finish(json);
    }

    public static WsFrame Event<TState>(string name, long seq, TState state, Action<Utf8JsonWriter, TState> payload)
    {
        var json = Start();
        json.WriteStartObject();
        json.WriteString("type"u8, "event"u8);
        json.WriteString("event"u8, name);
        json.WritePropertyName("payload"u8);
        payload(json, state);
        json.WriteNumber("seq"u8, seq);
        json.WriteEndObject();
        return Finish(json);
    }

    /// <summary><c>{"code","message","details"?}</c>: details when there are field errors or a retry time.</summary>
    public static void WriteError(Utf8JsonWriter json, WsError error)
    {
        json.WriteStartObject();
        json.WriteString("code"u8, error.Code);
        json.WriteString("message"u8, error.Message);
        if (error.Errors is not null || error.RetryAfterSeconds is not null)
        {
            json.WriteStartObject("details"u8);
            if (error.Errors is { } errors)
            {
                json.WriteStartObject("errors"u8);
                foreach (var (field, messages) in errors)
                {
                    json.WriteStartArray(field);
                    foreach (var message in messages) json.WriteStringValue(message);
                    json.WriteEndArray();
                }
                json.WriteEndObject();
            }
            if (error.RetryAfterSeconds is { } retry) json.WriteNumber("retryAfterSeconds"u8, retry);
            json.WriteEndObject();
        }
        json.WriteEndObject();
    }
}
