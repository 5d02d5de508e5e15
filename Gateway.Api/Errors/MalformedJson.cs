using System.Text.Json;

namespace Gateway.Api.Errors;

/// <summary>What a client is told when its JSON cannot be read as the request (an HTTP body, WebSocket params).</summary>
public static class MalformedJson
{
    public static string Describe(JsonException json) => json.Path is { } path
        ? $"Invalid value at {path} (malformed JSON, wrong type, unknown enum value or unknown property): {json.Message}"
        : $"The request body is not valid JSON for this endpoint: {json.Message}";
}
