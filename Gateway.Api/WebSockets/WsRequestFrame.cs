using System.Text;
using System.Text.Json;

namespace Gateway.Api.WebSockets;

/// <summary>
/// One client frame's envelope, read with Utf8JsonReader over the received bytes: type, id, method and where
/// <c>params</c> lies (its bytes are deserialized by the method's handler, before the buffer is reused).
/// </summary>
public readonly record struct WsRequestFrame(string Id, WsMethod Method, string MethodName, int ParamsStart, int ParamsLength)
{
    public const int MaxIdLength = 100;

    /// <summary>Reads a frame's envelope; on failure <paramref name="error"/> says why (and <paramref name="id"/> is
    /// the id when it could be read, so the refusal still answers it).</summary>
    public static bool TryParse(ReadOnlySpan<byte> json, out WsRequestFrame frame, out string? id, out string? error)
    {
        frame = default;
        id = null;
        string? type = null, methodName = null;
        var method = WsMethod.Unknown;
        int paramsStart = -1, paramsLength = 0;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                error = "A frame must be one JSON object.";
                return false;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String) type = reader.ValueTextEquals("req"u8) ? "req" : reader.GetString();
                    else reader.Skip();
                }
                else if (reader.ValueTextEquals("id"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String) id = reader.GetString();
                    else reader.Skip();
                }
                else if (reader.ValueTextEquals("method"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        var bytes = reader.HasValueSequence || reader.ValueIsEscaped ? Encoding.UTF8.GetBytes(reader.GetString()!) : reader.ValueSpan;
                        method = WsMethods.Parse(bytes);
                        methodName = method == WsMethod.Unknown ? reader.GetString() : WsMethods.Name(method);
                    }
                    else reader.Skip();
                }
                else if (reader.ValueTextEquals("params"u8))
                {
                    reader.Read();
                    paramsStart = (int)reader.TokenStartIndex;
                    reader.Skip();
                    paramsLength = (int)reader.BytesConsumed - paramsStart;
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                error = "A frame must be one JSON object and nothing after it.";
                return false;
            }
        }
        catch (JsonException ex)
        {
            error = $"The frame is not valid JSON: {ex.Message}";
            return false;
        }
        if (id is { Length: > MaxIdLength })
        {
            id = null;
            error = $"'id' is longer than {MaxIdLength} characters.";
            return false;
        }
        error = type != "req" ? "'type' must be \"req\"."
            : id is null ? "'id' is required (a string)."
            : methodName is null ? "'method' is required (a string)."
            : null;
        if (error is not null) return false;
        frame = new WsRequestFrame(id!, method, methodName!, paramsStart, paramsLength);
        return true;
    }

    /// <summary>The params' bytes, or <c>{}</c> when the frame had none (or null).</summary>
    public ReadOnlySpan<byte> Params(ReadOnlySpan<byte> json) =>
        ParamsStart < 0 || json.Slice(ParamsStart, ParamsLength).SequenceEqual("null"u8) ? "{}"u8 : json.Slice(ParamsStart, ParamsLength);
}
