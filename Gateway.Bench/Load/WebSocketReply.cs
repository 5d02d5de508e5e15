using System.Buffers.Text;
using System.Text.Json;

namespace Gateway.Bench.Load;

/// <summary>
/// What the load generator needs of a server frame, found with one <see cref="Utf8JsonReader"/> pass and kept as
/// offsets into the frame: its id and ok, the first runId (a spawn's run), the first error code, and how many
/// results of a <c>runs.events</c> answer were refused.
/// </summary>
public readonly record struct WebSocketReply(bool IsAnswer, long Id, bool Ok, int RunIdStart, int RunIdLength,
    int CodeStart, int CodeLength, int RefusedResults)
{
    /// <summary>Reads a frame; false if it is not JSON of this protocol. Pushes (type "event") are not answers.</summary>
    public static bool TryRead(ReadOnlySpan<byte> frame, out WebSocketReply reply)
    {
        reply = default;
        var reader = new Utf8JsonReader(frame);
        var (isAnswer, id, ok, runIdStart, runIdLength, codeStart, codeLength, refused) = (false, 0L, false, 0, 0, 0, 0, 0);
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.PropertyName) continue;
                var depth = reader.CurrentDepth;
                if (depth == 1 && reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    isAnswer = reader.ValueTextEquals("res"u8);
                }
                else if (depth == 1 && reader.ValueTextEquals("id"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String && !Utf8Parser.TryParse(reader.ValueSpan, out id, out _)) id = 0;
                }
                else if (reader.ValueTextEquals("ok"u8))
                {
                    reader.Read();
                    var value = reader.TokenType == JsonTokenType.True;
                    if (depth == 1) ok = value;
                    else if (!value) refused++;
                }
                else if (runIdLength == 0 && reader.ValueTextEquals("runId"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped)
                        (runIdStart, runIdLength) = ((int)reader.TokenStartIndex + 1, reader.ValueSpan.Length);
                }
                else if (codeLength == 0 && reader.ValueTextEquals("code"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped)
                        (codeStart, codeLength) = ((int)reader.TokenStartIndex + 1, reader.ValueSpan.Length);
                }
            }
        }
        catch (JsonException)
        {
            return false;
        }
        reply = new WebSocketReply(isAnswer, id, ok, runIdStart, runIdLength, codeStart, codeLength, refused);
        return true;
    }
}
