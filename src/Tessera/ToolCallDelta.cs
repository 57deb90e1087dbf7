// A streamed piece of a tool call (OpenAI `delta.tool_calls[]`): id and name first, then argument text.

using System.Text.Json.Serialization;

namespace Tessera;

/// <summary>A piece of tool call number <see cref="Index"/>.</summary>
public sealed record ToolCallDelta(
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("id")] string? Id,
    [property: JsonPropertyName("function")] FunctionCallDelta Function)
{
    /// <summary><c>function</c> on the piece that opens a call, else null.</summary>
    [JsonPropertyName("type")] public string? Type => Id is null ? null : "function";
}
